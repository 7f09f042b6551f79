namespace Ichrisbirch.AppHost;

/// <summary>The Kubernetes manifests of <c>aspire publish</c>: what is particular to this application.</summary>
internal static class KubernetesDeployment
{
    /// <summary>
    /// <c>k8s/base</c> from the Production model, <c>k8s/overlays/{production,development,testing}</c> from each
    /// environment's model; the services' image runs as uid 10001 (services/Dockerfile), postgres and redis as the
    /// images' documented uid 999.
    /// </summary>
    public static IResourceBuilder<KustomizeBundleResource> AddKubernetesDeployment(this IDistributedApplicationBuilder builder, Action<IDistributedApplicationBuilder> topology)
        => builder.AddKustomizeBundle("kubernetes", topology)
            .WithOverlay("Production", "production")
            .WithOverlay("Development", "development")
            .WithOverlay("Testing", "testing")
            .WithImageUser("library/postgres", 999)
            .WithImageUser("library/redis", 999);
}
