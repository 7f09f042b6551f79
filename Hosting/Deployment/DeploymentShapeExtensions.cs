using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>Publisher-neutral deployment shape: health-check commands, the development live-source mount, run-once resources.</summary>
public static class DeploymentShapeExtensions
{
    /// <summary>Probes health with a shell line run inside the container (e.g. <c>pg_isready</c>).</summary>
    public static IResourceBuilder<T> WithHealthCheckShellCommand<T>(this IResourceBuilder<T> builder, string shellLine)
        where T : IResource
        => builder.WithAnnotation(new HealthCheckCommandAnnotation([shellLine], Shell: true), ResourceAnnotationMutationBehavior.Replace);

    /// <summary>Mounts <paramref name="sourceDirectory"/> (a build context of the model) live at <paramref name="target"/> in deployments.</summary>
    public static IResourceBuilder<T> WithLiveSource<T>(this IResourceBuilder<T> builder, string sourceDirectory, string target)
        where T : IResource
        => builder.WithAnnotation(new LiveSourceAnnotation(Path.GetFullPath(sourceDirectory), target), ResourceAnnotationMutationBehavior.Replace);

    /// <summary>
    /// Mounts the file <paramref name="sourcePath"/> read-only at <paramref name="target"/> in the container: a bind mount
    /// in run mode, a file shipped with the deployment when published (see <see cref="DeploymentFileAnnotation"/>).
    /// </summary>
    public static IResourceBuilder<T> WithDeploymentFile<T>(this IResourceBuilder<T> builder, string sourcePath, string target)
        where T : ContainerResource
    {
        var source = Path.GetFullPath(sourcePath);
        if (!File.Exists(source)) throw new FileNotFoundException($"{builder.Resource.Name}: the deployment file {source} does not exist.", source);
        return builder.ApplicationBuilder.ExecutionContext.IsPublishMode
            ? builder.WithAnnotation(new DeploymentFileAnnotation(source, target))
            : builder.WithBindMount(source, target, isReadOnly: true);
    }

    /// <summary>Marks the resource as one that runs once and exits (a Kubernetes Job), stopped as failed after <paramref name="deadline"/>.</summary>
    public static IResourceBuilder<T> WithRunToCompletion<T>(this IResourceBuilder<T> builder, TimeSpan deadline)
        where T : IResource
        => builder.WithAnnotation(new RunToCompletionAnnotation(deadline), ResourceAnnotationMutationBehavior.Replace);

    /// <summary>At most one instance runs at a time: one replica, replaced with <c>Recreate</c>, never autoscaled.</summary>
    public static IResourceBuilder<T> WithSingleInstance<T>(this IResourceBuilder<T> builder)
        where T : IResource
        => builder.WithAnnotation(new SingleInstanceAnnotation(), ResourceAnnotationMutationBehavior.Replace);

    /// <summary>True when at most one instance of the resource may run (see <see cref="WithSingleInstance"/>).</summary>
    public static bool IsSingleInstance(this IResource resource) => resource.Annotations.OfType<SingleInstanceAnnotation>().Any();

    /// <summary>True when the resource runs once to completion (see <see cref="WithRunToCompletion"/>); otherwise it serves until stopped.</summary>
    public static bool RunsToCompletion(this IResource resource) => resource.Annotations.OfType<RunToCompletionAnnotation>().Any();
}
