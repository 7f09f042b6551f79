using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Hosting.Publishing;

namespace Ichrisbirch.Hosting.Compose;

/// <summary>
/// nginx, the public entry, the same in every environment: routes from <see cref="ComposeBundleResource.Routes"/>;
/// https with the deployer's certificate and key (paths in .env), plain http only when .env says NGINX_PROTOCOL=http.
/// </summary>
internal static class ComposeIngress
{
    /// <summary>The compose service name of the entry.</summary>
    public const string ServiceName = "nginx";

    /// <summary>The bundle's nginx files: the two configurations and the stand-in mounted while no certificate is set.</summary>
    public static readonly string HttpConfigPath = Path.Combine("nginx", "http.conf");
    public static readonly string HttpsConfigPath = Path.Combine("nginx", "https.conf");
    public static readonly string NoCertificatePath = Path.Combine("nginx", "tls-not-set");
    public static readonly string StartScriptPath = Path.Combine("nginx", "start.sh");

    /// <summary>Adds the nginx service (when there are routes) and returns the routes with their upstream ports.</summary>
    public static IReadOnlyList<NginxRoute> Add(ComposeFile file, ComposeBundleResource environment, PublishedModel published)
    {
        if (environment.Routes.Count == 0) return [];
        foreach (var route in environment.Routes.Where(r => !file.Services.ContainsKey(r.Service)))
        {
            throw new PublishException($"Ingress route {route.PathPrefix} points at {route.Service}, which is not published; route to a container or Dockerfile resource.");
        }
        var options = environment.Ingress;
        file.Services[ServiceName] = new Service
        {
            Image = options.Image,
            Entrypoint = ["/bin/sh", "/etc/nginx/start.sh"],
            Environment = new(StringComparer.Ordinal) { ["NGINX_PROTOCOL"] = "${NGINX_PROTOCOL:-https}", ["HTTPS_PORT"] = "${HTTPS_PORT:-443}" },
            Ports =
            [
                new Port { Target = 80, Published = "${HTTP_PORT:-80}", HostIp = "${NGINX_HOST_IP:-0.0.0.0}" },
                new Port { Target = 443, Published = "${HTTPS_PORT:-443}", HostIp = "${NGINX_HOST_IP:-0.0.0.0}" },
            ],
            Volumes =
            [
                ReadOnlyBind("./nginx/start.sh", "/etc/nginx/start.sh"),
                ReadOnlyBind("./nginx/http.conf", "/etc/nginx/http.conf"),
                ReadOnlyBind("./nginx/https.conf", "/etc/nginx/https.conf"),
                ReadOnlyBind("${TLS_CERTIFICATE:-./nginx/tls-not-set}", NginxConfig.CertificatePath),
                ReadOnlyBind("${TLS_CERTIFICATE_KEY:-./nginx/tls-not-set}", NginxConfig.CertificateKeyPath),
            ],
            DependsOn = new(environment.Routes.Select(r => r.Service).Distinct()
                .ToDictionary(s => s, s => file.Services[s].Healthcheck is null ? DependsOn.Started : DependsOn.Healthy), StringComparer.Ordinal),
            Healthcheck = ComposeTranslator.Timed(new Healthcheck { Test = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/nginx-health"] }, options.Timing),
            Restart = options.Restart is { } restart ? ComposeTranslator.RestartValue(restart) : null,
            StopGracePeriod = options.StopGracePeriod is { } stop ? $"{(int)stop.TotalSeconds}s" : null,
            Deploy = options.Limits is { } limits ? ComposeTranslator.Limits(limits) : null,
        };
        return environment.Routes.Select(r => new NginxRoute(r.PathPrefix, r.Service,
            published.Find(r.Service)!.TargetPort(r.EndpointName))).ToList();
    }

    private static Mount ReadOnlyBind(string source, string target) => new() { Type = "bind", Source = source, Target = target, ReadOnly = true };

    /// <summary>The .env.example lines of the entry.</summary>
    public const string EnvExample = """

        # nginx, the public entry: host ports (optional, defaults 80 and 443; http redirects to the https port given here),
        # and the one host address it listens on (optional, default every address).
        HTTP_PORT=80
        HTTPS_PORT=443
        NGINX_HOST_IP=0.0.0.0

        # nginx serves https with this certificate and key (paths on the Docker host; http redirects to https, HSTS on).
        # Plain http only by choice: NGINX_PROTOCOL=http (and the two paths left empty).
        NGINX_PROTOCOL=https
        TLS_CERTIFICATE=
        TLS_CERTIFICATE_KEY=

        """;
}
