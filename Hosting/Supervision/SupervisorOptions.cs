using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>How the run-mode supervisor restarts resources that exit without a stop having been asked for.</summary>
public sealed class SupervisorOptions
{
    /// <summary>Delay before the first restart; each further consecutive restart doubles it.</summary>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of the delay between restarts.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A process that stayed up this long before it exited starts again from <see cref="InitialDelay"/>.</summary>
    public TimeSpan ResetAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Exit codes a restart cannot cure (by default 2, the usage/configuration error of argparse, click and sysexits-style
    /// programs): the resource stays down and the dashboard says why.
    /// </summary>
    public ISet<int> PermanentFailureExitCodes { get; } = new HashSet<int> { 2 };

    /// <summary>
    /// Why a resource that stopped on its own (in <paramref name="state"/>, with <paramref name="exitCode"/>) is not
    /// started again under <paramref name="policy"/>; null when it is restarted. A failed start and a permanent-failure
    /// exit code are never retried, whatever the policy.
    /// </summary>
    public string? WhyNotRestarted(string? state, int? exitCode, RestartPolicy policy)
    {
        if (state == KnownResourceStates.FailedToStart) return "not restarted: it failed to start (see its log for the fix)";
        if (exitCode is { } code && PermanentFailureExitCodes.Contains(code)) return $"not restarted: exit code {code} is a configuration error (see its log for the fix)";
        return policy switch
        {
            RestartPolicy.No => "not restarted: restart policy no",
            RestartPolicy.OnFailure when exitCode == 0 => "not restarted: exited with code 0 (restart policy on-failure)",
            _ => null,
        };
    }

    /// <summary>The delay before restart number <paramref name="consecutive"/> (0-based) of an unbroken series.</summary>
    public TimeSpan DelayFor(int consecutive)
    {
        var factor = Math.Pow(2, Math.Min(consecutive, 30));
        var ticks = Math.Min(InitialDelay.Ticks * factor, MaxDelay.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
