namespace Aspire.Hosting.ApplicationModel;

/// <summary>The entry routes a published deployment sends to its services (compose's nginx, a Kubernetes Ingress).</summary>
/// <param name="PathPrefix">E.g. <c>/</c> or <c>/api/</c>; a prefix other than <c>/</c> is stripped before proxying.</param>
/// <param name="Service">The resource (service) name.</param>
/// <param name="EndpointName">Its endpoint, whose target port is proxied.</param>
public sealed record IngressRoute(string PathPrefix, string Service, string EndpointName);

/// <summary>A publish target with one public entry that routes path prefixes to services.</summary>
public interface IResourceWithIngressRoutes : IResource
{
    /// <summary>The routes, in the order they were added.</summary>
    IList<IngressRoute> Routes { get; }
}
