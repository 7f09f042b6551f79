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

    /// <summary>The delay before restart number <paramref name="consecutive"/> (0-based) of an unbroken series.</summary>
    public TimeSpan DelayFor(int consecutive)
    {
        var factor = Math.Pow(2, Math.Min(consecutive, 30));
        var ticks = Math.Min(InitialDelay.Ticks * factor, MaxDelay.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
