using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.Tests.Hosting.Supervision;

/// <summary>The supervisor on real processes (bare AppHosts of /bin/sh): backoff, failures it does not retry, run-once resources.</summary>
public class SupervisorRunTests
{
    /// <summary>How long a resource that must stay down is watched: five times the first restart delay these tests set (0.2 s).</summary>
    private static readonly TimeSpan NoRestartWindow = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_process_dying_at_every_start_is_restarted_with_growing_delays_not_in_a_tight_loop()
    {
        var clock = Stopwatch.StartNew(); // before the first start, so that every delay falls inside what it measures
        await using var app = await StartAsync(b => b.AddExecutable("crasher", "/bin/sh", Path.GetTempPath(), "-c", "exit 1").WithRestartPolicy(RestartPolicy.Always));
        await WaitForAsync(app, "crasher", e => Property(e, "supervisor.restarts") is "4");
        // Delays 0.2, 0.4, 0.8, 1 s before restarts 1 to 4: at least 2.4 s, where a tight loop would take milliseconds.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.4), $"4 restarts after {clock.Elapsed.TotalSeconds:0.00} s");
        Assert.Equal("1", Property(app, "crasher", "supervisor.last-exit-code"));
    }

    [Fact]
    public async Task A_configuration_error_exit_code_two_is_not_retried_and_the_resource_says_why()
    {
        await using var app = await StartAsync(b => b.AddExecutable("misconfigured", "/bin/sh", Path.GetTempPath(), "-c", "echo 'FOO must be set' >&2; exit 2").WithRestartPolicy(RestartPolicy.Always));
        await WaitForAsync(app, "misconfigured", e => Property(e, "supervisor.status").Contains("exit code 2", StringComparison.Ordinal));
        await Task.Delay(NoRestartWindow);
        Assert.True(app.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState("misconfigured", out var e));
        Assert.Equal(2, e.Snapshot.ExitCode);
        Assert.Contains(e.Snapshot.State?.Text, KnownResourceStates.TerminalStates);
        Assert.Equal("0", Property(app, "misconfigured", "supervisor.restarts"));
        Assert.Equal("not restarted: exit code 2 is a configuration error (see its log for the fix)", Property(app, "misconfigured", "supervisor.status"));
    }

    [Theory]
    [InlineData(RestartPolicy.No, "exit 1")]
    [InlineData(RestartPolicy.OnFailure, "exit 0")]
    public async Task A_resource_whose_policy_says_no_restart_stays_finished(RestartPolicy policy, string script)
    {
        await using var app = await StartAsync(b => b.AddExecutable("once", "/bin/sh", Path.GetTempPath(), "-c", script).WithRestartPolicy(policy));
        await WaitForAsync(app, "once", e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text));
        await Task.Delay(NoRestartWindow);
        Assert.True(app.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState("once", out var e));
        Assert.Contains(e.Snapshot.State?.Text, KnownResourceStates.TerminalStates);
        Assert.NotEqual("1", Property(e, "supervisor.restarts"));
    }

    private static Task<DistributedApplication> StartAsync(Action<IDistributedApplicationBuilder> configure)
        => BareAppHosts.StartAsync(builder =>
        {
            builder.AddSupervisor(o =>
            {
                o.InitialDelay = TimeSpan.FromMilliseconds(200);
                o.MaxDelay = TimeSpan.FromSeconds(1);
            });
            configure(builder);
        });

    private static async Task WaitForAsync(DistributedApplication app, string name, Func<ResourceEvent, bool> predicate)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await app.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceAsync(name, predicate, cts.Token);
    }

    private static string Property(DistributedApplication app, string name, string property)
        => app.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState(name, out var e) ? Property(e, property) : "";

    private static string Property(ResourceEvent e, string property)
        => e.Snapshot.Properties.FirstOrDefault(p => p.Name == property)?.Value?.ToString() ?? "";
}
