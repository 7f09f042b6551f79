using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Hosting.Publishing;
using k8s.Models;

namespace Ichrisbirch.Hosting.Kubernetes;

/// <summary>
/// The parts of a container that come from annotations: readiness from the resource's health check (the same one
/// every publisher reads), liveness that only checks the process answers, limits, a non-root security context, and one
/// init container per dependency it waits for.
/// </summary>
internal static class KubernetesContainers
{
    /// <summary>Readiness: the HTTP health probe, else the health-check command; null when the resource has neither.</summary>
    public static V1Probe? Readiness(IResource resource)
    {
        var timing = resource.Annotations.OfType<HealthCheckTimingAnnotation>().LastOrDefault();
        if (resource.Annotations.OfType<HealthProbeAnnotation>().LastOrDefault() is { } probe)
        {
            return Timed(new V1Probe { HttpGet = new V1HTTPGetAction { Port = Port(PublishedEndpoint.TargetPortOf(resource, probe.EndpointName)), Path = probe.Path } }, timing);
        }
        if (resource.Annotations.OfType<HealthCheckCommandAnnotation>().LastOrDefault() is { } command)
        {
            IList<string> exec = command.Shell ? ["/bin/sh", "-c", .. command.Command] : [.. command.Command];
            return Timed(new V1Probe { Exec = new V1ExecAction { Command = exec } }, timing);
        }
        return null;
    }

    /// <summary>
    /// Liveness: the process accepts connections on its first port. Never the health check, which reports
    /// dependencies (an api whose Redis is down is alive and must not be restarted).
    /// </summary>
    public static V1Probe? Liveness(IResource resource)
    {
        var endpoint = resource.Annotations.OfType<EndpointAnnotation>().FirstOrDefault();
        if (endpoint is null) return null;
        var timing = resource.Annotations.OfType<HealthCheckTimingAnnotation>().LastOrDefault();
        var probe = Timed(new V1Probe { TcpSocket = new V1TCPSocketAction { Port = Port(PublishedEndpoint.TargetPortOf(resource, endpoint.Name)) } }, timing);
        probe.FailureThreshold = (probe.FailureThreshold ?? 3) * 2; // slower to kill than to take out of rotation
        return probe;
    }

    private static V1Probe Timed(V1Probe probe, HealthCheckTimingAnnotation? timing)
    {
        probe.PeriodSeconds = timing is null ? 10 : (int)timing.Interval.TotalSeconds;
        probe.TimeoutSeconds = timing is null ? 5 : (int)timing.Timeout.TotalSeconds;
        probe.InitialDelaySeconds = timing is null ? 0 : (int)timing.StartPeriod.TotalSeconds;
        probe.FailureThreshold = timing?.Retries ?? 3;
        return probe;
    }

    /// <summary>The pod's grace period: the pre-stop pause plus the time the process may take after SIGTERM.</summary>
    public static long? GracePeriodSeconds(IResource resource)
        => resource.Annotations.OfType<GracefulStopAnnotation>().LastOrDefault() is { } stop ? (long)(stop.PreStopPause + stop.GracePeriod).TotalSeconds : null;

    /// <summary>A <c>preStop</c> sleep, so Services and the ingress controller drop the pod before it stops accepting.</summary>
    public static V1Lifecycle? PreStopPause(IResource resource)
        => resource.Annotations.OfType<GracefulStopAnnotation>().LastOrDefault() is { PreStopPause.TotalSeconds: > 0 } stop
            ? new V1Lifecycle { PreStop = new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["sleep", ((int)stop.PreStopPause.TotalSeconds).ToString(CultureInfo.InvariantCulture)] } } }
            : null;

    /// <summary>Limits from the resource's annotation; requests half of them (what the scheduler reserves).</summary>
    public static V1ResourceRequirements? Resources(IResource resource)
    {
        if (resource.Annotations.OfType<ResourceLimitsAnnotation>().LastOrDefault() is not { } limits) return null;
        return Resources(limits.Cpus, limits.MemoryMiB);
    }

    public static V1ResourceRequirements Resources(double cpus, int memoryMiB) => new()
    {
        Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = Cpu(cpus), ["memory"] = new($"{memoryMiB}Mi") },
        Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = Cpu(cpus / 2), ["memory"] = new($"{memoryMiB / 2}Mi") },
    };

    private static ResourceQuantity Cpu(double cpus) => new($"{(int)Math.Round(cpus * 1000)}m");

    /// <summary>Non-root, numeric user, no privilege escalation, no capabilities.</summary>
    public static V1SecurityContext Security(long uid) => new()
    {
        RunAsNonRoot = true,
        RunAsUser = uid,
        RunAsGroup = uid,
        AllowPrivilegeEscalation = false,
        ReadOnlyRootFilesystem = true,
        Capabilities = new V1Capabilities { Drop = ["ALL"] },
    };

    /// <summary>The pod's context: the volumes belong to the user's group.</summary>
    public static V1PodSecurityContext PodSecurity(long uid) => new()
    {
        RunAsNonRoot = true,
        RunAsUser = uid,
        RunAsGroup = uid,
        FsGroup = uid,
        SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
    };

    /// <summary>
    /// One init container per resource waited for until healthy (or serving): it polls the dependency's Service port,
    /// which answers only once a pod behind it is ready (a Service routes to ready pods alone). A wait for a start
    /// needs none: Kubernetes starts every pod, and the waiting one serves without the other (the api without Redis).
    /// Waits for completion are the translator's (the run-once resource itself becomes an init container).
    /// </summary>
    public static List<V1Container> Waits(IResource resource, IReadOnlySet<string> published, string image, long uid)
    {
        var waits = new List<V1Container>();
        foreach (var wait in PublishedWaits.Of(resource).Where(w => published.Contains(w.Resource.Name) && w.Type is not (WaitType.WaitUntilStarted or WaitType.WaitForCompletion)))
        {
            var endpoint = wait.Resource.Annotations.OfType<EndpointAnnotation>().FirstOrDefault()
                ?? throw new PublishException($"{resource.Name} waits for {wait.Resource.Name}, which has no endpoint to poll; give it an endpoint or drop the wait.");
            var target = $"{wait.Resource.Name} {PublishedEndpoint.TargetPortOf(wait.Resource, endpoint.Name).ToString(CultureInfo.InvariantCulture)}";
            waits.Add(new V1Container
            {
                Name = $"wait-for-{wait.Resource.Name}",
                Image = image,
                Command = ["/bin/sh", "-c", $"until nc -z -w 2 {target}; do echo waiting for {target}; sleep 2; done"],
                Resources = Resources(0.1, 32),
                SecurityContext = Security(uid),
            });
        }
        return waits;
    }

    public static IntOrString Port(int port) => port;
}
