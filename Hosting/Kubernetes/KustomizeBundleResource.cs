using Ichrisbirch.Hosting.Publishing;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The Kubernetes target of <c>aspire publish</c>: a kustomize base from the model of <see cref="BaseEnvironment"/>
/// and one overlay per published environment, each the difference between its environment's model and the base.
/// Every model is built by <see cref="Topology"/>, the code <c>dotnet run</c> uses. Exists in publish mode only.
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="topology">Adds the application's resources to a builder (the AppHost's own topology).</param>
/// <param name="appHostDirectory">Where the publish-time models read their checked-in configuration files.</param>
public sealed class KustomizeBundleResource(string name, Action<IDistributedApplicationBuilder> topology, string appHostDirectory) : Resource(name), IResourceWithIngressRoutes, IPublishTargetResource
{
    /// <summary>Adds the application's resources to a builder.</summary>
    public Action<IDistributedApplicationBuilder> Topology { get; } = topology;

    /// <summary>The AppHost folder.</summary>
    public string AppHostDirectory { get; } = appHostDirectory;

    /// <summary>Folder of the bundle the manifests go to (<c>k8s</c>).</summary>
    public string OutputFolder { get; set; } = "k8s";

    /// <summary>The environment whose model becomes <c>base/</c>.</summary>
    public string BaseEnvironment { get; set; } = "Production";

    /// <summary>Overlays: an environment name and its folder under <c>overlays/</c>.</summary>
    public IList<KubernetesOverlay> Overlays { get; } = [];

    /// <summary>Path prefixes the ingress routes to a service endpoint.</summary>
    public IList<IngressRoute> Routes { get; } = [];

    /// <summary>Ingress class of the routes (the rewrite annotations are nginx's).</summary>
    public string IngressClass { get; set; } = "nginx";

    /// <summary>
    /// The public host of the base environment's Ingresses (<c>spec.rules[].host</c> and <c>spec.tls[].hosts</c>); with
    /// routes, the publish stops without it. Other environments answer plain http on any host.
    /// </summary>
    public string? IngressHost { get; set; }

    /// <summary>The Secret (type <c>kubernetes.io/tls</c>) with the host's certificate and key (<c>spec.tls[].secretName</c>): the deployer's, or cert-manager's.</summary>
    public string? TlsSecretName { get; set; }

    /// <summary>A cert-manager ClusterIssuer that issues the certificate into <see cref="TlsSecretName"/>; null: the deployer creates that Secret.</summary>
    public string? ClusterIssuer { get; set; }

    /// <summary>Namespace of the ingress controller, whose pods the network policies let reach the routed services.</summary>
    public string IngressControllerNamespace { get; set; } = "ingress-nginx";

    /// <summary>Labels of the ingress controller's pods (ingress-nginx's own by default).</summary>
    public IDictionary<string, string> IngressControllerLabels { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["app.kubernetes.io/name"] = "ingress-nginx" };

    /// <summary>The application every object is part of (<c>app.kubernetes.io/part-of</c>, and the prefix of <c>instance</c>).</summary>
    public string PartOf { get; set; } = "app";

    /// <summary>Folders every container may write to (an <c>emptyDir</c> each); the root filesystem is read-only.</summary>
    public IList<string> WritablePaths { get; } = ["/tmp"];

    /// <summary>Further writable folders of a prebuilt image, by image name without tag (e.g. its run directory).</summary>
    public IDictionary<string, IList<string>> ImageWritablePaths { get; } = new SortedDictionary<string, IList<string>>(StringComparer.Ordinal);

    /// <summary>Numeric user (and group) the images built from a Dockerfile run as.</summary>
    public long BuildUser { get; set; } = 10001;

    /// <summary>Numeric non-root user of each prebuilt image, by image name without tag (e.g. <c>library/postgres</c>).</summary>
    public IDictionary<string, long> ImageUsers { get; } = new SortedDictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Image of the init containers that wait for a dependency's port.</summary>
    public string WaitImage { get; set; } = "busybox:1.36";

    /// <summary>
    /// Replicas, in the base environment, of each long-running service that takes traffic (an ingress route or a
    /// reference reaches it) and is not autoscaled nor single-instance; other environments run one.
    /// </summary>
    public int Replicas { get; set; } = 2;

    /// <summary>How long a finished Job (and its pod's logs) stays before Kubernetes deletes it (<c>ttlSecondsAfterFinished</c>).</summary>
    public TimeSpan FinishedJobLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Replica bounds of resources scaled in the base environment, by resource name.</summary>
    public IDictionary<string, Autoscaling> Autoscaled { get; } = new SortedDictionary<string, Autoscaling>(StringComparer.Ordinal);
}

/// <summary>A kustomize overlay.</summary>
/// <param name="EnvironmentName">The environment whose model it is built from.</param>
/// <param name="Folder">Its folder under <c>overlays/</c>, e.g. <c>production</c>.</param>
/// <param name="Namespace">The namespace every object of the overlay goes to; null leaves it to <c>kubectl -n</c>.</param>
public sealed record KubernetesOverlay(string EnvironmentName, string Folder, string? Namespace = null);

/// <summary>Replicas of a resource in the base environment: at least <paramref name="Min"/>, scaled on CPU up to <paramref name="Max"/>.</summary>
/// <param name="Min">Minimum replicas.</param>
/// <param name="Max">Maximum replicas.</param>
/// <param name="CpuPercent">Average CPU utilisation (of requests) the autoscaler aims for.</param>
public sealed record Autoscaling(int Min, int Max, int CpuPercent = 70);
