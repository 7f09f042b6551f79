using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Hosting.Kubernetes;
using Ichrisbirch.Hosting.Publishing;

namespace Aspire.Hosting;

/// <summary>
/// Kubernetes publishing: <c>aspire publish -o DIR</c> also writes <c>DIR/k8s/base</c> and
/// <c>DIR/k8s/overlays/*</c>, kustomize directories translated from the per-environment models.
/// </summary>
public static class KustomizeBundleExtensions
{
    /// <summary>Publishes the application that <paramref name="topology"/> builds as kustomize manifests. Does nothing in run mode.</summary>
    public static IResourceBuilder<KustomizeBundleResource> AddKustomizeBundle(
        this IDistributedApplicationBuilder builder, string name, Action<IDistributedApplicationBuilder> topology)
    {
        var resource = new KustomizeBundleResource(name, topology, builder.AppHostDirectory);
        return builder.AddPublishTarget(resource, "kubernetes", (models, context) => KubernetesPublisher.PublishAsync(resource, models, context));
    }

    /// <summary>Writes <c>overlays/<paramref name="folder"/></c> from <paramref name="environmentName"/>'s model, into <paramref name="namespace"/> when given.</summary>
    public static IResourceBuilder<KustomizeBundleResource> WithOverlay(
        this IResourceBuilder<KustomizeBundleResource> builder, string environmentName, string folder, string? @namespace = null)
    {
        builder.Resource.Overlays.Add(new KubernetesOverlay(environmentName, folder, @namespace));
        return builder;
    }

    /// <summary>
    /// The base environment's Ingresses answer only <paramref name="host"/>, over https with the certificate in Secret
    /// <paramref name="tlsSecretName"/>, and redirect http to https; with <paramref name="clusterIssuer"/>, cert-manager
    /// issues that certificate. Empty values count as missing; the publish checks them (one line when missing or invalid).
    /// </summary>
    public static IResourceBuilder<KustomizeBundleResource> WithIngressTls(
        this IResourceBuilder<KustomizeBundleResource> builder, string? host, string? tlsSecretName, string? clusterIssuer = null)
    {
        builder.Resource.IngressHost = host;
        builder.Resource.TlsSecretName = tlsSecretName;
        builder.Resource.ClusterIssuer = clusterIssuer;
        return builder;
    }

    /// <summary>Runs <paramref name="service"/> with <paramref name="min"/>..<paramref name="max"/> replicas in the base environment (other overlays: one).</summary>
    public static IResourceBuilder<KustomizeBundleResource> WithAutoscaling<T>(
        this IResourceBuilder<KustomizeBundleResource> builder, IResourceBuilder<T> service, int min, int max)
        where T : IResource
    {
        builder.Resource.Autoscaled[service.Resource.Name] = new Autoscaling(min, max);
        return builder;
    }

    /// <summary>A folder a prebuilt image writes to besides <c>/tmp</c> (e.g. <c>/var/run/postgresql</c>): an <c>emptyDir</c> under its read-only root.</summary>
    public static IResourceBuilder<KustomizeBundleResource> WithImageWritablePath(
        this IResourceBuilder<KustomizeBundleResource> builder, string image, string path)
    {
        if (!builder.Resource.ImageWritablePaths.TryGetValue(image, out var paths)) builder.Resource.ImageWritablePaths[image] = paths = [];
        paths.Add(path);
        return builder;
    }

    /// <summary>Names the application every object is part of (the recommended <c>part-of</c> label).</summary>
    public static IResourceBuilder<KustomizeBundleResource> WithPartOf(this IResourceBuilder<KustomizeBundleResource> builder, string application)
    {
        builder.Resource.PartOf = application;
        return builder;
    }

    /// <summary>The numeric non-root user a prebuilt image documents (e.g. <c>library/postgres</c>, 999).</summary>
    public static IResourceBuilder<KustomizeBundleResource> WithImageUser(
        this IResourceBuilder<KustomizeBundleResource> builder, string image, long uid)
    {
        builder.Resource.ImageUsers[image] = uid;
        return builder;
    }
}
