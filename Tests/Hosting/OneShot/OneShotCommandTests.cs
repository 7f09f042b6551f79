using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.Tests.Hosting.OneShot;

/// <summary>One-shot commands the AppHost runs itself on a resource's ready event (bare AppHosts of /bin/sh, real DCP).</summary>
public class OneShotCommandTests
{
    [Fact]
    public async Task The_command_runs_once_its_trigger_is_ready_with_its_environment_and_what_waits_for_it_starts_after_it()
    {
        using var scratch = new ScratchDirectory();
        var marker = Path.Combine(scratch.Path, "step.txt");
        await using var app = await StartAsync(b =>
        {
            var trigger = b.AddExecutable("trigger", "/bin/sh", scratch.Path, "-c", "exec sleep 60");
            var step = b.AddOneShotCommand("step", "/bin/sh", scratch.Path, trigger, "-c", "echo \"$GREETING\" > step.txt; echo done")
                .WithEnvironment("GREETING", "hello from the step");
            b.AddExecutable("after", "/bin/sh", scratch.Path, "-c", "cat step.txt > after.tmp && mv after.tmp after.txt; exec sleep 60").WaitForCompletion(step);
        });

        await WaitForAsync(app, "after", e => e.Snapshot.State?.Text == KnownResourceStates.Running);
        Assert.Equal("hello from the step\n", await File.ReadAllTextAsync(marker));
        Assert.True(app.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState("step", out var step));
        Assert.Equal((KnownResourceStates.Finished, (int?)0), (step.Snapshot.State?.Text, step.Snapshot.ExitCode));
        var clock = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(scratch.Path, "after.txt")) && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
        Assert.Equal("hello from the step\n", await File.ReadAllTextAsync(Path.Combine(scratch.Path, "after.txt")));
    }

    [Fact]
    public async Task A_failing_command_finishes_with_its_exit_code_and_what_waits_for_it_never_starts()
    {
        using var scratch = new ScratchDirectory();
        await using var app = await StartAsync(b =>
        {
            var trigger = b.AddExecutable("trigger", "/bin/sh", scratch.Path, "-c", "exec sleep 60");
            var step = b.AddOneShotCommand("step", "/bin/sh", scratch.Path, trigger, "-c", "echo 'no role for you' >&2; exit 3");
            b.AddExecutable("after", "/bin/sh", scratch.Path, "-c", "exec sleep 60").WaitForCompletion(step);
        });

        var after = await WaitForAsync(app, "after", e => e.Snapshot.State?.Text == KnownResourceStates.FailedToStart);
        Assert.True(app.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState("step", out var step));
        Assert.Equal((KnownResourceStates.Finished, (int?)3), (step.Snapshot.State?.Text, step.Snapshot.ExitCode));
        Assert.Equal(KnownResourceStates.FailedToStart, after.Snapshot.State?.Text);
    }

    [Fact]
    public async Task A_missing_program_fails_to_start_and_fails_what_waits_for_it()
    {
        using var scratch = new ScratchDirectory();
        await using var app = await StartAsync(b =>
        {
            var trigger = b.AddExecutable("trigger", "/bin/sh", scratch.Path, "-c", "exec sleep 60");
            var step = b.AddOneShotCommand("step", Path.Combine(scratch.Path, "no-such-program"), scratch.Path, trigger);
            b.AddExecutable("after", "/bin/sh", scratch.Path, "-c", "exec sleep 60").WaitForCompletion(step);
        });

        await WaitForAsync(app, "after", e => e.Snapshot.State?.Text == KnownResourceStates.FailedToStart);
        Assert.True(app.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState("step", out var step));
        Assert.Equal(KnownResourceStates.FailedToStart, step.Snapshot.State?.Text);
    }

    [Fact]
    public async Task A_trigger_that_fails_to_start_fails_the_command_and_what_waits_for_it_instead_of_holding_them()
    {
        using var scratch = new ScratchDirectory();
        await using var app = await StartAsync(b =>
        {
            var trigger = b.AddExecutable("trigger", Path.Combine(scratch.Path, "no-such-server"), scratch.Path);
            var step = b.AddOneShotCommand("step", "/bin/sh", scratch.Path, trigger, "-c", "touch ran");
            b.AddExecutable("after", "/bin/sh", scratch.Path, "-c", "exec sleep 60").WaitForCompletion(step);
        });

        await WaitForAsync(app, "after", e => e.Snapshot.State?.Text == KnownResourceStates.FailedToStart);
        Assert.True(app.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState("step", out var step));
        Assert.Equal(KnownResourceStates.FailedToStart, step.Snapshot.State?.Text);
        Assert.False(File.Exists(Path.Combine(scratch.Path, "ran")));
    }

    private static Task<DistributedApplication> StartAsync(Action<IDistributedApplicationBuilder> configure) => BareAppHosts.StartAsync(configure);

    private static async Task<ResourceEvent> WaitForAsync(DistributedApplication app, string name, Func<ResourceEvent, bool> predicate)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await app.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceAsync(name, predicate, cts.Token);
    }
}
