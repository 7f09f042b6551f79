using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.AppHost.Compose;

/// <summary>nginx, the public entry: routes from <see cref="DockerComposeEnvironmentResource.Routes"/>, the same in every environment.</summary>
internal static class ComposeIngress
{
    /// <summary>The compose service name of the entry.</summary>
    public const string ServiceName = "nginx";

    /// <summary>Where nginx.conf goes in the bundle.</summary>
    public static readonly string ConfigPath = Path.Combine("nginx", "nginx.conf");

    /// <summary>Adds the nginx service (when there are routes) and returns the routes with their upstream ports.</summary>
    public static IReadOnlyList<NginxRoute> Add(ComposeFile file, DockerComposeEnvironmentResource environment, IReadOnlyList<IResource> resources)
    {
        if (environment.Routes.Count == 0) return [];
        foreach (var route in environment.Routes.Where(r => !file.Services.ContainsKey(r.Service)))
        {
            throw new ComposePublishException($"Ingress route {route.PathPrefix} points at {route.Service}, which is not published; route to a container or Dockerfile resource.");
        }
        var options = environment.Ingress;
        file.Services[ServiceName] = new Service
        {
            Image = options.Image,
            Ports = [new Port { Target = 80, Published = "${HTTP_PORT:-80}" }],
            Volumes = [new Mount { Type = "bind", Source = "./nginx/nginx.conf", Target = "/etc/nginx/nginx.conf", ReadOnly = true }],
            DependsOn = new(environment.Routes.Select(r => r.Service).Distinct()
                .ToDictionary(s => s, s => file.Services[s].Healthcheck is null ? DependsOn.Started : DependsOn.Healthy), StringComparer.Ordinal),
            Healthcheck = ComposeTranslator.Timed(new Healthcheck { Test = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/nginx-health"] }, options.Timing),
            Restart = ComposeTranslator.RestartValue(options.Restart),
            StopGracePeriod = "10s",
            Deploy = ComposeTranslator.Limits(options.Limits),
        };
        return environment.Routes.Select(r => new NginxRoute(r.PathPrefix, r.Service,
            ComposeValues.TargetPort(resources.Single(x => x.Name == r.Service), r.EndpointName))).ToList();
    }
}
