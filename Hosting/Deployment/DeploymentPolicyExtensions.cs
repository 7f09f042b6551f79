using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>Publisher-neutral deployment policy on resources: restart, resource limits, health probe and timing, graceful stop.</summary>
public static class DeploymentPolicyExtensions
{
    /// <summary>Sets whether the resource comes back after its process exits (run mode and every publisher).</summary>
    public static IResourceBuilder<T> WithRestartPolicy<T>(this IResourceBuilder<T> builder, RestartPolicy policy)
        where T : IResource
        => builder.WithAnnotation(new RestartPolicyAnnotation(policy), ResourceAnnotationMutationBehavior.Replace);

    /// <summary>Caps CPU and memory of each replica in published deployments.</summary>
    public static IResourceBuilder<T> WithResourceLimits<T>(this IResourceBuilder<T> builder, double cpus, int memoryMiB)
        where T : IResource
        => builder.WithAnnotation(new ResourceLimitsAnnotation(cpus, memoryMiB), ResourceAnnotationMutationBehavior.Replace);

    /// <summary>Sets how deployments probe the resource's health check.</summary>
    public static IResourceBuilder<T> WithHealthCheckTiming<T>(this IResourceBuilder<T> builder, TimeSpan interval, TimeSpan timeout, TimeSpan startPeriod, int retries)
        where T : IResource
        => builder.WithAnnotation(new HealthCheckTimingAnnotation(interval, timeout, startPeriod, retries), ResourceAnnotationMutationBehavior.Replace);

    /// <summary>
    /// The HTTP path every deployment probes on <paramref name="endpointName"/> (compose healthcheck, Kubernetes probes), and
    /// the run-mode health check on the same path, which tells Degraded from Healthy (<see cref="ServingExtensions.WithServingHealthCheck{T}"/>).
    /// </summary>
    public static IResourceBuilder<T> WithHealthProbe<T>(this IResourceBuilder<T> builder, string path, string endpointName = "http")
        where T : IResourceWithEndpoints
    {
        builder.WithAnnotation(new HealthProbeAnnotation(path, endpointName));
        return builder.WithServingHealthCheck(path, endpointName);
    }

    /// <summary>
    /// Stops the resource with SIGTERM, then waits at most <paramref name="gracePeriod"/> before SIGKILL (compose
    /// <c>stop_grace_period</c>, Kubernetes <c>terminationGracePeriodSeconds</c>).
    /// </summary>
    /// <param name="builder">The resource.</param>
    /// <param name="gracePeriod">Time between SIGTERM and SIGKILL.</param>
    /// <param name="preStopPause">Pause before SIGTERM where routing lags the stop (a Kubernetes preStop sleep).</param>
    public static IResourceBuilder<T> WithGracefulStop<T>(this IResourceBuilder<T> builder, TimeSpan gracePeriod, TimeSpan preStopPause = default)
        where T : IResource
        => builder.WithAnnotation(new GracefulStopAnnotation(gracePeriod, preStopPause), ResourceAnnotationMutationBehavior.Replace);

    /// <summary>The resource's restart policy; <see cref="RestartPolicy.No"/> when none was set (compose's default).</summary>
    public static RestartPolicy GetRestartPolicy(this IResource resource)
        => resource.Annotations.OfType<RestartPolicyAnnotation>().LastOrDefault()?.Policy ?? RestartPolicy.No;

    /// <summary>
    /// Routes requests under <paramref name="pathPrefix"/> through the deployment's public entry to
    /// <paramref name="service"/>'s endpoint; that entry is then the only way in.
    /// </summary>
    public static IResourceBuilder<TEntry> WithIngress<TEntry, T>(
        this IResourceBuilder<TEntry> builder, string pathPrefix, IResourceBuilder<T> service, string endpointName = "http")
        where TEntry : IResourceWithIngressRoutes
        where T : IResourceWithEndpoints
    {
        builder.Resource.Routes.Add(new IngressRoute(pathPrefix, service.Resource.Name, endpointName));
        return builder;
    }
}
