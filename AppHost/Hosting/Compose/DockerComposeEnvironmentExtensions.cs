using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Pipelines;
using Ichrisbirch.AppHost.Compose;

namespace Aspire.Hosting;

/// <summary>
/// Docker Compose publishing, shaped like Aspire.Hosting.Docker (<c>AddDockerComposeEnvironment</c>,
/// <c>PublishAsDockerComposeService</c>) and written on core Aspire.Hosting: <c>aspire publish -o DIR</c> writes
/// the compose bundle into DIR through a step of the publish pipeline.
/// </summary>
public static class DockerComposeEnvironmentExtensions
{
    /// <summary>
    /// Publishes every container resource of the model (and every resource built from a Dockerfile) as a compose service.
    /// In run mode this does nothing.
    /// </summary>
    public static IResourceBuilder<DockerComposeEnvironmentResource> AddDockerComposeEnvironment(this IDistributedApplicationBuilder builder, string name)
    {
        var resource = new DockerComposeEnvironmentResource(name);
        if (!builder.ExecutionContext.IsPublishMode)
        {
            return builder.CreateResourceBuilder(resource);
        }

        var appHostDirectory = builder.AppHostDirectory;
        builder.Pipeline.AddStep($"publish-{name}", context => ComposePublisher.PublishAsync(resource, appHostDirectory, context),
            requiredBy: WellKnownPipelineSteps.Publish);
        return builder.AddResource(resource).ExcludeFromManifest();
    }

    /// <summary>
    /// Routes requests under <paramref name="pathPrefix"/> through nginx to <paramref name="service"/>'s endpoint;
    /// nginx is then the only service with a host port in production.
    /// </summary>
    public static IResourceBuilder<DockerComposeEnvironmentResource> WithIngress<T>(
        this IResourceBuilder<DockerComposeEnvironmentResource> builder, string pathPrefix, IResourceBuilder<T> service, string endpointName = "http")
        where T : IResourceWithEndpoints
    {
        builder.Resource.Routes.Add(new IngressRoute(pathPrefix, service.Resource.Name, endpointName));
        return builder;
    }

    /// <summary>
    /// Changes the production compose service published for this resource, after it was translated from the model
    /// (the resource passed to <paramref name="configure"/> is the publish-mode one, e.g. a container built from a Dockerfile).
    /// </summary>
    public static IResourceBuilder<T> PublishAsDockerComposeService<T>(this IResourceBuilder<T> builder, Action<IResource, Service> configure)
        where T : IResource
        => builder.WithAnnotation(new DockerComposeServiceCustomizationAnnotation(configure));
}
