using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

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
/// only where marked external); waits depends_on; health probes, restart policy, limits, graceful stop and volumes
/// carry over. What has no compose equivalent stops the publish with one line.
/// </summary>
internal static class ComposeTranslator
{
    public static async Task<Translation> TranslateAsync(PublishedModel published, string environmentName, CancellationToken cancellationToken)
    {
        var environment = published.Model.Resources.OfType<ComposeBundleResource>().SingleOrDefault(r => r.Name == environmentName)
            ?? throw new ComposePublishException($"The {published.EnvironmentName} model has no compose environment '{environmentName}'; its topology must add it in every environment.");
        var values = new ComposeValues();
        var contexts = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var resources = published.Model.Resources.Where(Publishes).ToList();
        var file = new ComposeFile();

        foreach (var resource in resources)
        {
            var service = new Service();
            if (resource.Annotations.OfType<DockerfileBuildAnnotation>().LastOrDefault() is { } build)
            {
                var folder = BundleFolder(contexts, build.ContextPath);
                service.Build = new Build
                {
                    Context = $"./{folder}",
                    Dockerfile = Path.GetRelativePath(build.ContextPath, build.DockerfilePath).Replace('\\', '/'),
                    Target = build.Stage,
                };
            }
            else if (resource.Annotations.OfType<ContainerImageAnnotation>().LastOrDefault() is { } image)
            {
                service.Image = $"{(string.IsNullOrEmpty(image.Registry) ? "" : image.Registry + "/")}{image.Image}{(image.SHA256 is { } sha ? "@sha256:" + sha : ":" + image.Tag)}";
            }

            if (resource is ContainerResource { Entrypoint: { Length: > 0 } entrypoint }) service.Entrypoint = [ComposeValues.Escape(entrypoint)];
            if (resource.TryGetAnnotationsOfType<CommandLineArgsCallbackAnnotation>(out var argCallbacks))
            {
                var args = new List<object>();
                var argsContext = new CommandLineArgsCallbackContext(args, resource, cancellationToken) { ExecutionContext = published.Execution };
                foreach (var callback in argCallbacks) await callback.Callback(argsContext).ConfigureAwait(false);
                service.Command = args.Count > 0 ? args.Select(values.Format).ToList() : null;
            }

            var variables = new Dictionary<string, object>();
            var envContext = new EnvironmentCallbackContext(published.Execution, resource, variables, cancellationToken);
            foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>()) await callback.Callback(envContext).ConfigureAwait(false);
            service.Environment = new(variables.ToDictionary(v => v.Key, v => values.Format(v.Value)), StringComparer.Ordinal);

            var endpoints = resource.Annotations.OfType<EndpointAnnotation>().ToList();
            service.Expose = endpoints.Select(e => ComposeValues.TargetPort(resource, e.Name).ToString(CultureInfo.InvariantCulture)).Distinct().ToList();
            service.Ports = endpoints.Where(e => e.IsExternal).Select(e => new Port
            {
                Target = ComposeValues.TargetPort(resource, e.Name),
                Published = e.Port?.ToString(CultureInfo.InvariantCulture),
                Protocol = e.Protocol == System.Net.Sockets.ProtocolType.Udp ? "udp" : "tcp",
            }).ToList();

            AddMounts(resource, service, file, contexts);
            service.Healthcheck = Healthcheck(resource, environment);
            service.Restart = resource.Annotations.OfType<RestartPolicyAnnotation>().LastOrDefault() is { } restart ? RestartValue(restart.Policy) : null;
            service.StopGracePeriod = resource.Annotations.OfType<GracefulStopAnnotation>().LastOrDefault() is { } stop
                ? $"{(int)stop.GracePeriod.TotalSeconds}s" : null;
            service.Deploy = resource.Annotations.OfType<ResourceLimitsAnnotation>().LastOrDefault() is { } limits ? Limits(limits) : null;
            file.Services[resource.Name] = service;
        }

        // Waits need every service's healthcheck first: service_healthy only where the target has one.
        foreach (var resource in resources)
        {
            foreach (var wait in resource.Annotations.OfType<WaitAnnotation>().Where(w => file.Services.ContainsKey(w.Resource.Name)))
            {
                (file.Services[resource.Name].DependsOn ??= new(StringComparer.Ordinal))[wait.Resource.Name] = wait.WaitType switch
                {
                    WaitType.WaitForCompletion => DependsOn.Completed,
                    WaitType.WaitUntilHealthy when file.Services[wait.Resource.Name].Healthcheck is not null => DependsOn.Healthy,
                    _ => DependsOn.Started,
                };
            }
        }

        var routes = ComposeIngress.Add(file, environment, resources);
        foreach (var resource in resources)
        {
            foreach (var customization in resource.Annotations.OfType<ComposeServiceCustomizationAnnotation>())
            {
                customization.Configure(resource, file.Services[resource.Name]);
            }
        }
        foreach (var configure in environment.FileCallbacks) configure(file);
        return new(file, values.Parameters, contexts, routes);
    }

    /// <summary>Containers and Dockerfile builds are published; run-only resources (excluded from publish) are not; anything else stops the publish.</summary>
    private static bool Publishes(IResource resource)
    {
        if (resource.IsExcludedFromPublish() || resource is ComposeBundleResource || resource is not IComputeResource) return false;
        if (resource is ContainerResource || resource.Annotations.OfType<DockerfileBuildAnnotation>().Any()) return true;
        var kind = resource is ProjectResource ? "a .NET project" : $"a {resource.GetType().Name}";
        throw new ComposePublishException(
            $"{resource.Name} is {kind}, which compose cannot run: publish it as a container (PublishAsDockerFile / WithDockerfile), or mark it run-only with ExcludeFromManifest().");
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
                throw new ComposePublishException(
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
                ?? throw new ComposePublishException($"{resource.Name}: live source {live.SourceDirectory} is not a build context of the model; mount only the folder its Dockerfile builds.");
            (service.Volumes ??= []).Add(new Mount { Type = "bind", Source = $"./{folder}", Target = live.Target });
        }
    }

    private static Healthcheck? Healthcheck(IResource resource, ComposeBundleResource environment)
    {
        List<string>? test = null;
        if (resource.Annotations.OfType<HealthProbeAnnotation>().LastOrDefault() is { } probe)
        {
            if (environment.HttpProbeCommand.Count == 0)
            {
                throw new ComposePublishException($"{resource.Name} has an HTTP health probe but the compose environment has no probe command; call WithHttpProbeCommand(...) on it.");
            }
            test = ["CMD", .. environment.HttpProbeCommand.Select(ComposeValues.Escape),
                $"http://localhost:{ComposeValues.TargetPort(resource, probe.EndpointName)}{ComposeValues.Escape(probe.Path)}"];
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
