using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Hosting.Publishing;

namespace Ichrisbirch.Hosting.Compose;

/// <summary>One environment's model translated into compose.</summary>
/// <param name="File">The compose file of that environment, complete.</param>
/// <param name="Parameters">Parameters referenced as <c>${NAME}</c>, by NAME.</param>
/// <param name="BuildContexts">Build context folders of the machine, by their folder in the bundle.</param>
/// <param name="Routes">The ingress routes with their upstream ports.</param>
internal sealed record Translation(ComposeFile File, SortedDictionary<string, ParameterResource> Parameters,
    SortedDictionary<string, string> BuildContexts, IReadOnlyList<NginxRoute> Routes);

/// <summary>
/// The one translation of a model into compose, the same for every environment: containers and Dockerfile builds
/// become services with exactly the environment the model gives them; endpoints their container ports (host ports
/// only where marked external, on <see cref="ComposeBundleResource.ExternalPortAddress"/>); waits depends_on; health probes, restart policy, limits, graceful stop and volumes
/// carry over. What has no compose equivalent stops the publish with one line.
/// </summary>
internal static class ComposeTranslator
{
    public static Translation Translate(PublishedModel published, string environmentName)
    {
        var environment = published.Model.Resources.OfType<ComposeBundleResource>().SingleOrDefault(r => r.Name == environmentName)
            ?? throw new PublishException($"The {published.EnvironmentName} model has no compose environment '{environmentName}'; its topology must add it in every environment.");
        var values = new ComposeValues();
        var contexts = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var file = new ComposeFile();

        foreach (var resource in published.Resources)
        {
            var service = new Service();
            if (resource.Image?.Build is { } build)
            {
                var folder = BundleFolder(contexts, build.ContextPath);
                service.Build = new Build
                {
                    Context = $"./{folder}",
                    Dockerfile = Path.GetRelativePath(build.ContextPath, build.DockerfilePath).Replace('\\', '/'),
                    Target = build.Stage,
                };
            }
            else
            {
                service.Image = resource.Image?.Reference;
            }

            if (resource.Entrypoint is { } entrypoint) service.Entrypoint = [ComposeValues.Escape(entrypoint)];
            service.Command = resource.Arguments?.Select(values.Format).ToList();
            service.Environment = new(resource.Environment.ToDictionary(v => v.Key, v => values.Format(v.Value)), StringComparer.Ordinal);
            service.Expose = resource.Endpoints.Select(e => e.TargetPort.ToString(CultureInfo.InvariantCulture)).Distinct().ToList();
            service.Ports = resource.Endpoints.Where(e => e.Annotation.IsExternal).Select(e => new Port
            {
                Target = e.TargetPort,
                Published = e.Annotation.Port?.ToString(CultureInfo.InvariantCulture),
                HostIp = environment.ExternalPortAddress,
                Protocol = e.Annotation.Protocol == System.Net.Sockets.ProtocolType.Udp ? "udp" : "tcp",
            }).ToList();

            var annotations = resource.Resource.Annotations;
            AddMounts(resource.Resource, service, file, contexts);
            service.Healthcheck = Healthcheck(resource, environment);
            service.Restart = annotations.OfType<RestartPolicyAnnotation>().LastOrDefault() is { } restart ? RestartValue(restart.Policy) : null;
            service.StopGracePeriod = annotations.OfType<GracefulStopAnnotation>().LastOrDefault() is { } stop ? $"{(int)stop.GracePeriod.TotalSeconds}s" : null;
            service.Deploy = annotations.OfType<ResourceLimitsAnnotation>().LastOrDefault() is { } limits ? Limits(limits) : null;
            file.Services[resource.Name] = service;
        }

        // Waits need every service's healthcheck first: service_healthy only where the target has one.
        foreach (var resource in published.Resources)
        {
            foreach (var wait in PublishedWaits.Of(resource.Resource).Where(w => file.Services.ContainsKey(w.Resource.Name)))
            {
                (file.Services[resource.Name].DependsOn ??= new(StringComparer.Ordinal))[wait.Resource.Name] = wait.Type switch
                {
                    WaitType.WaitForCompletion => DependsOn.Completed,
                    WaitType.WaitUntilHealthy when file.Services[wait.Resource.Name].Healthcheck is not null => DependsOn.Healthy,
                    _ => DependsOn.Started,
                };
            }
        }

        var routes = ComposeIngress.Add(file, environment, published);
        foreach (var resource in published.Resources)
        {
            foreach (var customization in resource.Resource.Annotations.OfType<ComposeServiceCustomizationAnnotation>())
            {
                customization.Configure(resource.Resource, file.Services[resource.Name]);
            }
        }
        foreach (var configure in environment.FileCallbacks) configure(file);
        return new(file, values.Parameters, contexts, routes);
    }

    private static string BundleFolder(SortedDictionary<string, string> contexts, string contextPath)
    {
        var folder = contexts.FirstOrDefault(c => c.Value == contextPath).Key ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(contextPath));
        contexts[folder] = contextPath;
        return folder;
    }

    /// <summary>Named volumes, scratch (unnamed) volumes as tmpfs, and the declared live source; no other bind mount.</summary>
    private static void AddMounts(IResource resource, Service service, ComposeFile file, SortedDictionary<string, string> contexts)
    {
        foreach (var mount in resource.Annotations.OfType<ContainerMountAnnotation>())
        {
            if (mount.Type != ContainerMountType.Volume)
            {
                throw new PublishException(
                    $"{resource.Name}: bind mount {mount.Source} -> {mount.Target} is a path of the publishing machine; use a named volume, or WithLiveSource(...) for a development source mount.");
            }
            if (string.IsNullOrEmpty(mount.Source))
            {
                (service.Volumes ??= []).Add(new Mount { Type = "tmpfs", Target = mount.Target });
                continue;
            }
            (service.Volumes ??= []).Add(new Mount { Type = "volume", Source = mount.Source, Target = mount.Target, ReadOnly = mount.IsReadOnly ? true : null });
            (file.Volumes ??= new(StringComparer.Ordinal))[mount.Source] = new NamedVolume();
        }
        if (resource.Annotations.OfType<LiveSourceAnnotation>().LastOrDefault() is { } live)
        {
            var folder = contexts.FirstOrDefault(c => Path.GetFullPath(c.Value) == Path.GetFullPath(live.SourceDirectory)).Key
                ?? throw new PublishException($"{resource.Name}: live source {live.SourceDirectory} is not a build context of the model; mount only the folder its Dockerfile builds.");
            (service.Volumes ??= []).Add(new Mount { Type = "bind", Source = $"./{folder}", Target = live.Target });
        }
    }

    private static Healthcheck? Healthcheck(PublishedResource published, ComposeBundleResource environment)
    {
        var resource = published.Resource;
        List<string>? test = null;
        if (resource.Annotations.OfType<HealthProbeAnnotation>().LastOrDefault() is { } probe)
        {
            if (environment.HttpProbeCommand.Count == 0)
            {
                throw new PublishException($"{resource.Name} has an HTTP health probe but the compose environment has no probe command; call WithHttpProbeCommand(...) on it.");
            }
            test = ["CMD", .. environment.HttpProbeCommand.Select(ComposeValues.Escape),
                $"http://localhost:{published.TargetPort(probe.EndpointName)}{ComposeValues.Escape(probe.Path)}"];
        }
        else if (resource.Annotations.OfType<HealthCheckCommandAnnotation>().LastOrDefault() is { } command)
        {
            test = [command.Shell ? "CMD-SHELL" : "CMD", .. command.Command.Select(ComposeValues.Escape)];
        }
        if (test is null) return null;
        var timing = resource.Annotations.OfType<HealthCheckTimingAnnotation>().LastOrDefault();
        return Timed(new Healthcheck { Test = test }, timing);
    }

    internal static Healthcheck Timed(Healthcheck check, HealthCheckTimingAnnotation? timing)
    {
        if (timing is null) return check;
        check.Interval = Duration(timing.Interval);
        check.Timeout = Duration(timing.Timeout);
        check.StartPeriod = Duration(timing.StartPeriod);
        check.Retries = timing.Retries;
        return check;
    }

    private static string Duration(TimeSpan span) => $"{(int)span.TotalSeconds}s";

    internal static string RestartValue(RestartPolicy policy) => policy switch
    {
        RestartPolicy.Always => "always",
        RestartPolicy.OnFailure => "on-failure",
        _ => "no",
    };

    internal static Deploy Limits(ResourceLimitsAnnotation limits) => new()
    {
        Resources = new DeployResources { Limits = new ResourceLimits(limits.Cpus.ToString("0.0##", CultureInfo.InvariantCulture), $"{limits.MemoryMiB}M") },
    };
}
