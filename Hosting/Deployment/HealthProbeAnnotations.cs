using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>The HTTP path and endpoint a service answers health probes on; publishers turn it into a healthcheck.</summary>
/// <param name="Path">The path, e.g. <c>/health</c>.</param>
/// <param name="EndpointName">The endpoint that serves it.</param>
public sealed record HealthProbeAnnotation(string Path, string EndpointName) : IResourceAnnotation;

/// <summary>
/// How a service stops: SIGTERM, then at most <paramref name="GracePeriod"/> to finish its requests (compose
/// <c>stop_grace_period</c>). Where an endpoint list routes to it (Kubernetes), it first waits
/// <paramref name="PreStopPause"/> so the routers drop it before it stops accepting (a <c>preStop</c> hook; the pod's
/// grace period is both together).
/// </summary>
/// <param name="GracePeriod">Time between SIGTERM and SIGKILL: above the server's own graceful timeout.</param>
/// <param name="PreStopPause">Pause before SIGTERM where routing lags the stop; zero for none.</param>
public sealed record GracefulStopAnnotation(TimeSpan GracePeriod, TimeSpan PreStopPause = default) : IResourceAnnotation;
