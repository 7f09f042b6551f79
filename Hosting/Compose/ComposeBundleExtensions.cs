using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Pipelines;
using Ichrisbirch.Hosting.Compose;
using Ichrisbirch.Hosting.Publishing;

namespace Aspire.Hosting;

/// <summary>
/// Docker Compose publishing in the spirit of Aspire.Hosting.Docker, written on core Aspire.Hosting (see README.md
/// for where the shapes differ and why the names do too):
/// <c>aspire publish -o DIR</c> writes the compose bundle into DIR through a step of the publish pipeline.
/// </summary>
public static class ComposeBundleExtensions
{
    /// <summary>
    /// Publishes the application that <paramref name="topology"/> builds as a compose bundle: the model of each
    /// published environment is built by <paramref name="topology"/> and translated. In run mode this does nothing.
    /// </summary>
    public static IResourceBuilder<ComposeBundleResource> AddComposeBundle(
        this IDistributedApplicationBuilder builder, string name, Action<IDistributedApplicationBuilder> topology)
    {
        var resource = new ComposeBundleResource(name, topology, builder.AppHostDirectory);
        return builder.AddPublishTarget(resource, "compose", (models, context) => ComposePublisher.PublishAsync(resource, models, context));
    }

    /// <summary>Writes the difference between <paramref name="environmentName"/>'s model and the base model to <paramref name="fileName"/>.</summary>
    public static IResourceBuilder<ComposeBundleResource> WithOverride(
        this IResourceBuilder<ComposeBundleResource> builder, string environmentName, string fileName)
    {
        builder.Resource.Overrides.Add(new ComposeOverride(environmentName, fileName));
        return builder;
    }

    /// <summary>
    /// Names each environment's compose project <c>{prefix}-{environment}</c> in the commands the files and their
    /// headers show (docker-compose 1.29 rejects a top-level <c>name:</c>, so the project is given with <c>-p</c>).
    /// </summary>
    public static IResourceBuilder<ComposeBundleResource> WithProjectName(this IResourceBuilder<ComposeBundleResource> builder, string prefix)
    {
        builder.Resource.ProjectName = prefix;
        return builder;
    }

    /// <summary>The command (in each service's own image) that probes an HTTP health endpoint; the URL is appended.</summary>
    public static IResourceBuilder<ComposeBundleResource> WithHttpProbeCommand(
        this IResourceBuilder<ComposeBundleResource> builder, params string[] command)
    {
        builder.Resource.HttpProbeCommand.Clear();
        foreach (var part in command) builder.Resource.HttpProbeCommand.Add(part);
        return builder;
    }


    /// <summary>Sets the entry service's image and policy (restart, limits, health timing, stop grace period).</summary>
    public static IResourceBuilder<ComposeBundleResource> WithIngressOptions(
        this IResourceBuilder<ComposeBundleResource> builder, Action<IngressOptions> configure)
    {
        configure(builder.Resource.Ingress);
        return builder;
    }

    /// <summary>Changes every translated compose file (base and each environment's, before the overrides are computed).</summary>
    public static IResourceBuilder<ComposeBundleResource> ConfigureComposeFile(
        this IResourceBuilder<ComposeBundleResource> builder, Action<ComposeFile> configure)
    {
        builder.Resource.FileCallbacks.Add(configure);
        return builder;
    }

    /// <summary>
    /// Changes the compose service translated from this resource, in every environment's translation (the resource
    /// passed to <paramref name="configure"/> is the publish-mode one, e.g. a container built from a Dockerfile).
    /// Publishing fails when the model has no compose bundle.
    /// </summary>
    public static IResourceBuilder<T> PublishAsComposeService<T>(this IResourceBuilder<T> builder, Action<IResource, Service> configure)
        where T : IResource
    {
        var app = builder.ApplicationBuilder;
        if (app.ExecutionContext.IsPublishMode && !PublishedModels.IsPublishedModel(app))
        {
            var resourceName = builder.Resource.Name;
            app.Pipeline.AddStep($"check-compose-service-{resourceName}", context => PublishTargets.RunStepAsync(context, "compose", () =>
            {
                if (!context.Model.Resources.OfType<ComposeBundleResource>().Any())
                {
                    throw new PublishException(
                        $"{resourceName}: PublishAsComposeService needs a compose bundle in the model; add builder.AddComposeBundle(name, topology).");
                }
                return Task.CompletedTask;
            }), requiredBy: WellKnownPipelineSteps.Publish);
        }
        return builder.WithAnnotation(new ComposeServiceCustomizationAnnotation(configure));
    }
}
