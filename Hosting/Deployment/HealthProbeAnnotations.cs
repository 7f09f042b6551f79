using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>The HTTP path and endpoint a service answers health probes on; publishers turn it into a healthcheck.</summary>
/// <param name="Path">The path, e.g. <c>/health</c>.</param>
/// <param name="EndpointName">The endpoint that serves it.</param>
public sealed record HealthProbeAnnotation(string Path, string EndpointName) : IResourceAnnotation;

/// <summary>How long a service may take to stop after SIGTERM.</summary>
/// <param name="GracePeriod">Time between SIGTERM and SIGKILL.</param>
public sealed record GracefulStopAnnotation(TimeSpan GracePeriod) : IResourceAnnotation;
