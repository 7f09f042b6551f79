namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// Whether a resource comes back after its process exits, with the meaning compose gives <c>restart:</c>.
/// Publisher-neutral: the run-mode supervisor, the compose publisher and a Kubernetes publisher read the same value.
/// </summary>
public enum RestartPolicy
{
    /// <summary>Never restarted (run-once resources such as a test runner).</summary>
    No,
    /// <summary>Restarted whenever it exits without a stop having been asked for.</summary>
    Always,
    /// <summary>Restarted only when it exits with a non-zero code.</summary>
    OnFailure,
}

/// <summary>The restart policy of a resource (see <see cref="RestartPolicy"/>).</summary>
/// <param name="Policy">The policy.</param>
public sealed record RestartPolicyAnnotation(RestartPolicy Policy) : IResourceAnnotation;

/// <summary>Upper bounds on what one replica of a resource may use, for every publisher.</summary>
/// <param name="Cpus">CPUs, e.g. 0.5.</param>
/// <param name="MemoryMiB">Memory in MiB.</param>
public sealed record ResourceLimitsAnnotation(double Cpus, int MemoryMiB) : IResourceAnnotation;

/// <summary>How often and how patiently a deployment probes a resource's health check.</summary>
/// <param name="Interval">Time between probes.</param>
/// <param name="Timeout">Time one probe may take.</param>
/// <param name="StartPeriod">Grace period after start during which failures do not count.</param>
/// <param name="Retries">Consecutive failures before the resource counts as unhealthy.</param>
public sealed record HealthCheckTimingAnnotation(TimeSpan Interval, TimeSpan Timeout, TimeSpan StartPeriod, int Retries) : IResourceAnnotation;
