using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>Publisher-neutral deployment shape: health-check commands and the development live-source mount.</summary>
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
}
