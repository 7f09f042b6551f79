using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// Degraded is not down: a health check that tells Degraded from Healthy (<see cref="WithServingHealthCheck{T}"/>) and a
/// wait that releases on either (<see cref="WaitForServing{T}"/>).
/// </summary>
public static class ServingExtensions
{
    /// <summary>
    /// Checks <paramref name="path"/> on the endpoint <paramref name="endpointName"/>: 200 with <c>"status":
    /// "degraded"</c> shows as Degraded on the dashboard, another 200 as Healthy, anything else as Unhealthy.
    /// </summary>
    public static IResourceBuilder<T> WithServingHealthCheck<T>(this IResourceBuilder<T> builder, string path, string endpointName = "http")
        where T : IResourceWithEndpoints
    {
        var endpoint = builder.Resource.GetEndpoint(endpointName);
        var key = $"{builder.Resource.Name}_{endpointName}_serving";
        builder.ApplicationBuilder.Services.AddHealthChecks()
            .Add(new HealthCheckRegistration(key, _ => new ServingHealthCheck(() => ServerUri(endpoint, path)), failureStatus: null, tags: null));
        return builder.WithHealthCheck(key);
    }

    /// <summary>
    /// The server's own address where it is fixed (a proxied endpoint with a target port): DCP's proxy accepts a connection
    /// before the server listens and holds the probe, so a check through it sees the server up to 0.5 s late.
    /// </summary>
    private static Uri ServerUri(EndpointReference endpoint, string path)
    {
        var annotation = endpoint.EndpointAnnotation;
        if (!annotation.IsProxied || annotation.TargetPort is not int port) return new Uri(new Uri(endpoint.Url), path);
        var host = annotation.TargetHost is "localhost" or "127.0.0.1" ? "127.0.0.1" : annotation.TargetHost;
        return new Uri($"{annotation.UriScheme}://{host}:{port}{path}");
    }

    /// <summary>
    /// Starts the resource once <paramref name="dependency"/> serves, Healthy or Degraded (a degraded api still
    /// serves the app). In run mode the resource shows Waiting until then; publishers read the
    /// <see cref="ServingWaitAnnotation"/>.
    /// </summary>
    public static IResourceBuilder<T> WaitForServing<T>(this IResourceBuilder<T> builder, IResourceBuilder<IResource> dependency)
        where T : IResourceWithWaitSupport
    {
        builder.WithAnnotation(new ServingWaitAnnotation(dependency.Resource));
        builder.WithRelationship(dependency.Resource, "WaitFor");
        if (!builder.ApplicationBuilder.ExecutionContext.IsRunMode) return builder;
        return builder.OnBeforeResourceStarted(async (resource, e, ct) =>
        {
            var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
            if (Serves(notifications, dependency.Resource.Name)) return;
            e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(resource)
                .LogInformation("Waiting for resource '{Name}' to serve (Healthy or Degraded).", dependency.Resource.Name);
            await notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.Waiting }).ConfigureAwait(false);
            var seen = await notifications.WaitForResourceAsync(dependency.Resource.Name, re => Serving(re.Snapshot) || FailedToStart(re.Snapshot), ct).ConfigureAwait(false);
            if (FailedToStart(seen.Snapshot))
            {
                // As Aspire's WaitFor does: a dependency that cannot start fails its dependents instead of holding them forever.
                throw new DistributedApplicationException($"Resource '{resource.Name}' stopped waiting for dependency resource '{dependency.Resource.Name}' because it failed to start.");
            }
        });
    }

    private static bool Serves(ResourceNotificationService notifications, string name)
        => notifications.TryGetCurrentState(name, out var current) && Serving(current.Snapshot);

    private static bool FailedToStart(CustomResourceSnapshot snapshot) => snapshot.State?.Text == KnownResourceStates.FailedToStart;

    private static bool Serving(CustomResourceSnapshot snapshot)
        => snapshot.State?.Text == KnownResourceStates.Running && snapshot.HealthStatus is HealthStatus.Healthy or HealthStatus.Degraded;
}
