using Ichrisbirch.Hosting.Compose;
using Ichrisbirch.Hosting.Publishing;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The target of <c>aspire publish</c>: a self-contained Docker Compose bundle. The base file comes from the
/// model of <see cref="BaseEnvironment"/>; each <see cref="Overrides">override</see> is the difference between
/// its environment's model and the base one. Every model is built by <see cref="Topology"/>, the code that
/// <c>dotnet run</c> uses. Exists in the model in publish mode only.
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="topology">Adds the application's resources to a builder (the AppHost's own topology).</param>
/// <param name="appHostDirectory">The AppHost folder: where the publish-time models read their checked-in configuration files.</param>
public sealed class ComposeBundleResource(string name, Action<IDistributedApplicationBuilder> topology, string appHostDirectory) : Resource(name), IResourceWithIngressRoutes, IPublishTargetResource
{
    /// <summary>Adds the application's resources to a builder.</summary>
    public Action<IDistributedApplicationBuilder> Topology { get; } = topology;

    /// <summary>The AppHost folder.</summary>
    public string AppHostDirectory { get; } = appHostDirectory;

    /// <summary>The environment whose model becomes docker-compose.yml.</summary>
    public string BaseEnvironment { get; set; } = "Production";

    /// <summary>Override files: an environment name and the file its difference from the base goes to.</summary>
    public IList<ComposeOverride> Overrides { get; } = [];

    /// <summary>Path prefixes that nginx, the single public entry, routes to a service endpoint.</summary>
    public IList<IngressRoute> Routes { get; } = [];

    /// <summary>
    /// Prefix of each environment's compose project (<c>-p PREFIX-environment</c> in the commands the files show), so
    /// that one environment's <c>down -v</c> never touches another's containers or volumes.
    /// </summary>
    public string ProjectName { get; set; } = name;

    /// <summary>
    /// Host address of the ports published for endpoints the model marks external (development and test access):
    /// loopback by default, as the AppHost binds them in run mode; the ingress is the only public entry.
    /// </summary>
    public string ExternalPortAddress { get; set; } = "127.0.0.1";

    /// <summary>The ingress service: image, host port, restart, limits and health timing.</summary>
    public IngressOptions Ingress { get; } = new();

    /// <summary>
    /// Command (inside the service's own image) that exits 0 when the URL it is given answers 200; used for
    /// resources with an HTTP health probe. Empty: such a resource cannot be published.
    /// </summary>
    public IList<string> HttpProbeCommand { get; } = [];

    /// <summary>Changes to each translated file, applied last, in order (see ConfigureComposeFile).</summary>
    internal IList<Action<ComposeFile>> FileCallbacks { get; } = [];
}

/// <summary>An override file.</summary>
/// <param name="EnvironmentName">The environment whose model it is built from.</param>
/// <param name="FileName">E.g. <c>docker-compose.dev.yml</c>.</param>
public sealed record ComposeOverride(string EnvironmentName, string FileName);

/// <summary>The nginx entry service; the policy members are unset (compose's defaults) until the AppHost sets them.</summary>
public sealed class IngressOptions
{
    /// <summary>Image of the entry service (the generated configurations are written for nginx).</summary>
    public string Image { get; set; } = "nginx:1.27-alpine";
    /// <summary>Restart policy.</summary>
    public RestartPolicy? Restart { get; set; }
    /// <summary>Resource limits.</summary>
    public ResourceLimitsAnnotation? Limits { get; set; }
    /// <summary>Health-check timing.</summary>
    public HealthCheckTimingAnnotation? Timing { get; set; }
    /// <summary>Time between SIGTERM and SIGKILL.</summary>
    public TimeSpan? StopGracePeriod { get; set; }
    /// <summary>Paths whose requests nginx limits per client address (answering 429 beyond the burst).</summary>
    public IList<IngressRateLimit> RateLimits { get; } = [];
}

/// <summary>A request rate limit on one exact path, per client address.</summary>
/// <param name="Path">The exact path, e.g. <c>/login</c>.</param>
/// <param name="PerMinute">Sustained requests per minute.</param>
/// <param name="Burst">Requests beyond the rate answered at once before 429s start.</param>
public sealed record IngressRateLimit(string Path, int PerMinute, int Burst);

/// <summary>A per-service change applied last to the translated service (see PublishAsComposeService).</summary>
internal sealed record ComposeServiceCustomizationAnnotation(Action<IResource, Service> Configure) : IResourceAnnotation;
