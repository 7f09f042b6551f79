using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.Hosting.Publishing;

/// <summary>
/// Decides once which resources of a model publish, and evaluates what every publisher reads from them: image,
/// entrypoint, arguments (in publish mode), environment and endpoints.
/// </summary>
internal static class PublishedResources
{
    public static async Task<IReadOnlyList<PublishedResource>> EvaluateAsync(DistributedApplicationModel model, DistributedApplicationExecutionContext execution,
        CancellationToken cancellationToken)
    {
        var published = new List<PublishedResource>();
        foreach (var resource in model.Resources.Where(Publishes).ToList())
        {
            published.Add(await EvaluateAsync(resource, execution, cancellationToken).ConfigureAwait(false));
        }
        return published;
    }

    /// <summary>Containers and Dockerfile builds are published; run-only resources (excluded from publish) are not; anything else stops the publish.</summary>
    private static bool Publishes(IResource resource)
    {
        if (resource.IsExcludedFromPublish() || resource is not IComputeResource) return false;
        if (resource is ContainerResource || resource.Annotations.OfType<DockerfileBuildAnnotation>().Any()) return true;
        var kind = resource is ProjectResource ? "a .NET project" : $"a {resource.GetType().Name}";
        throw new PublishException(
            $"{resource.Name} is {kind}, which cannot be published: publish it as a container (PublishAsDockerFile / WithDockerfile), or mark it run-only with ExcludeFromManifest().");
    }

    private static async Task<PublishedResource> EvaluateAsync(IResource resource, DistributedApplicationExecutionContext execution, CancellationToken cancellationToken)
    {
        List<PublishedValue>? arguments = null;
        if (resource.TryGetAnnotationsOfType<CommandLineArgsCallbackAnnotation>(out var argCallbacks))
        {
            var args = new List<object>();
            var argsContext = new CommandLineArgsCallbackContext(args, resource, cancellationToken) { ExecutionContext = execution };
            foreach (var callback in argCallbacks) await callback.Callback(argsContext).ConfigureAwait(false);
            arguments = args.Count > 0 ? args.Select(PublishedValues.Evaluate).ToList() : null;
        }

        var variables = new Dictionary<string, object>();
        var envContext = new EnvironmentCallbackContext(execution, resource, variables, cancellationToken);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>()) await callback.Callback(envContext).ConfigureAwait(false);
        var environment = new SortedDictionary<string, PublishedValue>(variables.ToDictionary(v => v.Key, v => PublishedValues.Evaluate(v.Value)), StringComparer.Ordinal);

        var endpoints = resource.Annotations.OfType<EndpointAnnotation>()
            .Select(e => new PublishedEndpoint(e.Name, PublishedEndpoint.TargetPortOf(resource, e.Name), e)).ToList();
        var entrypoint = resource is ContainerResource { Entrypoint: { Length: > 0 } e } ? e : null;
        return new PublishedResource(resource, Image(resource), entrypoint, arguments, environment, endpoints);
    }

    private static PublishedImage? Image(IResource resource)
    {
        if (resource.Annotations.OfType<DockerfileBuildAnnotation>().LastOrDefault() is { } build)
        {
            return new PublishedImage(null, null, new PublishedBuild(build.ContextPath, build.DockerfilePath, build.Stage));
        }
        if (resource.Annotations.OfType<ContainerImageAnnotation>().LastOrDefault() is { } image)
        {
            var reference = $"{(string.IsNullOrEmpty(image.Registry) ? "" : image.Registry + "/")}{image.Image}{(image.SHA256 is { } sha ? "@sha256:" + sha : ":" + image.Tag)}";
            return new PublishedImage(reference, image.Image, null);
        }
        return null;
    }
}
