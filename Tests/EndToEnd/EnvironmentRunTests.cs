using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.Tests.EndToEnd;

/// <summary>The Testing and Production environments run for real (Local mode).</summary>
public class EnvironmentRunTests
{
    private static async Task<int?> WaitForExitAsync(Stack stack, string resource)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        try
        {
            var e = await stack.Notifications.WaitForResourceAsync(resource,
                e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), cts.Token);
            return e.Snapshot.ExitCode;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{resource} did not finish: {stack.State(resource)}{await stack.DescribeAsync()}");
        }
    }

    [Fact]
    public async Task Testing_test_runner_runs_the_live_suite_against_the_stack_and_exits_zero()
    {
        await using var stack = await Stack.StartAsync();
        var exitCode = await WaitForExitAsync(stack, "test-runner");
        var logs = await stack.LogsAsync("test-runner");
        Assert.True(exitCode == 0, $"test-runner exited {exitCode}:\n{string.Join('\n', logs.TakeLast(30))}");
        Assert.Contains(logs, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"\d+ passed"));
    }

    [Fact]
    public async Task Testing_test_runner_propagates_a_failing_selection_as_a_nonzero_exit()
    {
        await using var stack = await Stack.StartAsync("--Ichrisbirch:TestRunnerArgs=tests/live -m canary");
        var exitCode = await WaitForExitAsync(stack, "test-runner");
        Assert.NotNull(exitCode);
        Assert.NotEqual(0, exitCode);
        Assert.Contains(await stack.LogsAsync("test-runner"), l => l.Contains("canary: fails on purpose", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Production_serves_through_gunicorn_with_a_worker_per_cpu_when_secrets_are_supplied()
    {
        using var data = new ScratchDirectory();
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(data.Path, (UnixFileMode)0b111_101_101); // the postgres user must reach its data directory
        await using var stack = await Stack.StartAsync(
            "--environment", "Production", $"--Ichrisbirch:Local:DataDirectory={data.Path}",
            "--Parameters:postgres-password=prod-pg-secret", "--Parameters:redis-password=prod-redis-secret",
            "--Parameters:api-secret-key=prod-api-key", "--Parameters:flask-secret-key=prod-flask-key",
            "--Parameters:app-admin-password=prod-admin-password");
        await stack.WaitHealthyAsync(Stack.Services);

        var server = await stack.Client("api").GetFromJsonAsync<JsonElement>("/server/");
        Assert.Equal("production", server.GetProperty("environment").GetString());

        foreach (var service in new[] { "api", "app" })
        {
            Assert.True(stack.Notifications.TryGetCurrentState(service, out var e));
            var pid = Convert.ToInt32(e.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains("gunicorn", Processes.Describe(pid));
            var workers = Processes.WithDescendants([pid]).Count - 1;
            Assert.True(workers == Environment.ProcessorCount, $"{service}: expected {Environment.ProcessorCount} gunicorn workers (one per CPU), found {workers}");
        }

        var page = await stack.Client("app").GetAsync("/habits/");
        Assert.True(page.IsSuccessStatusCode, $"app /habits/ answered {(int)page.StatusCode}");
        var logs = string.Join('\n', (await Task.WhenAll(Stack.Services.Select(stack.LogsAsync))).SelectMany(l => l));
        Assert.DoesNotContain("prod-pg-secret", logs);
        Assert.DoesNotContain("prod-redis-secret", logs);
    }
}
