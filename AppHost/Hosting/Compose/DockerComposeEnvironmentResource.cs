using Ichrisbirch.AppHost.Compose;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The target of <c>aspire publish</c>: a self-contained Docker Compose bundle (docker-compose.yml for production,
/// docker-compose.dev.yml / docker-compose.test.yml overrides, .env.example, nginx/nginx.conf and a copy of every
/// build context). Exists in the model in publish mode only.
/// </summary>
/// <param name="name">The resource name.</param>
public sealed class DockerComposeEnvironmentResource(string name) : Resource(name)
{
    /// <summary>Path prefixes that nginx, the single public entry, routes to a service endpoint.</summary>
    public IList<IngressRoute> Routes { get; } = [];

    /// <summary>The image of the nginx entry service.</summary>
    public string NginxImage { get; set; } = "nginx:1.27-alpine";

    /// <summary>
    /// Command (inside the service's own image) that exits 0 when the URL it is given answers 200; used for
    /// services with a <see cref="HealthProbeAnnotation"/>. Default: the services' standard-library probe.
    /// </summary>
    public IList<string> HttpProbeCommand { get; } = ["python", "-m", "ichrisbirch.healthcheck"];
}

/// <summary>nginx routes requests whose path starts with <paramref name="PathPrefix"/> to a service endpoint.</summary>
/// <param name="PathPrefix">E.g. <c>/</c> or <c>/api/</c>; a prefix other than <c>/</c> is stripped before proxying.</param>
/// <param name="Service">The resource (compose service) name.</param>
/// <param name="EndpointName">Its endpoint, whose target port is proxied.</param>
public sealed record IngressRoute(string PathPrefix, string Service, string EndpointName);

/// <summary>A per-service change applied last to the published production service (see PublishAsDockerComposeService).</summary>
internal sealed record DockerComposeServiceCustomizationAnnotation(Action<IResource, Service> Configure) : IResourceAnnotation;
