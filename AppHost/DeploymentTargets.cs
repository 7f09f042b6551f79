using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.AppHost;

/// <summary>Where <c>aspire publish</c> deploys the stack to, and what is particular to this application in each target.</summary>
internal static class DeploymentTargets
{
    /// <summary>
    /// <c>aspire publish</c>: docker-compose.yml from the Production model, docker-compose.dev.yml / .test.yml from
    /// the Development / Testing models, health probes through the image's own probe, rotated json logs.
    /// </summary>
    public static IResourceBuilder<ComposeBundleResource> AddComposeDeployment(this IDistributedApplicationBuilder builder, Action<IDistributedApplicationBuilder> topology)
        => builder.AddComposeBundle("compose", topology)
            .WithOverride("Development", "docker-compose.dev.yml")
            .WithOverride("Testing", "docker-compose.test.yml")
            .WithProjectName("ichrisbirch") // -p ichrisbirch-production, -development, -testing
            .WithHttpProbeCommand("python3", "-m", "ichrisbirch.healthcheck")
            .WithIngressOptions(nginx =>
            {
                nginx.Restart = RestartPolicy.Always;
                nginx.Limits = new(Cpus: 1.0, MemoryMiB: 128); // one worker per CPU given (NginxConfig): TLS and proxying on one core
                nginx.Timing = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), Retries: 3);
                nginx.StopGracePeriod = TimeSpan.FromSeconds(10);
                nginx.RateLimits.Add(new("/login", PerMinute: 10, Burst: 10)); // password guessing: 429 beyond the burst
            })
            .ConfigureComposeFile(file =>
            {
                foreach (var service in file.Services.Values)
                {
                    service.Logging = new() { Driver = "json-file", Options = new(StringComparer.Ordinal) { ["max-size"] = "10m", ["max-file"] = "3" } };
                }
            });

    /// <summary>
    /// <c>k8s/base</c> from the Production model, <c>k8s/overlays/{production,development,testing}</c> from each
    /// environment's model; the services' image runs as uid 10001 (services/Dockerfile), postgres and redis as the
    /// images' documented uid 999; each overlay in its own namespace; postgres writes its socket to /var/run/postgresql;
    /// the production Ingresses serve https only, on the host and with the certificate of <paramref name="settings"/>.
    /// </summary>
    public static IResourceBuilder<KustomizeBundleResource> AddKubernetesDeployment(this IDistributedApplicationBuilder builder, Action<IDistributedApplicationBuilder> topology,
        KubernetesSettings settings)
        => builder.AddKustomizeBundle("kubernetes", topology)
            .WithIngressTls(settings.Host, settings.TlsSecretName, settings.CertManagerIssuer).WithSetupHint(KubernetesSettings.Hint)
            .WithOverlay("Production", "production", @namespace: "ichrisbirch")
            .WithOverlay("Development", "development", @namespace: "ichrisbirch-development")
            .WithOverlay("Testing", "testing", @namespace: "ichrisbirch-testing")
            .WithImageUser("library/postgres", 999)
            .WithPartOf("ichrisbirch")
            .WithImageWritablePath("library/postgres", "/var/run/postgresql")
            .WithImageUser("library/redis", 999);
}
