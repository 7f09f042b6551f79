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

    private static Task<Stack> StartProductionAsync(ScratchDirectory data)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(data.Path, (UnixFileMode)0b111_101_101); // the postgres user must reach its data directory
        return Stack.StartAsync(
            "--environment", "Production", $"--Ichrisbirch:Local:DataDirectory={data.Path}",
            "--Parameters:postgres-password=prod-pg-secret", "--Parameters:postgres-app-password=prod-pg-app-secret",
            "--Parameters:redis-password=prod-redis-secret",
            "--Parameters:api-secret-key=prod-api-key", "--Parameters:flask-secret-key=prod-flask-key",
            "--Parameters:app-admin-password=prod-admin-password");
    }

    private static int Pid(Stack stack, string resource)
    {
        Assert.True(stack.Notifications.TryGetCurrentState(resource, out var e));
        return Convert.ToInt32(e.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Production_serves_through_gunicorn_with_a_worker_per_cpu_when_secrets_are_supplied()
    {
        using var data = new ScratchDirectory();
        await using var stack = await StartProductionAsync(data);
        await stack.WaitHealthyAsync(Stack.Services);

        var server = await stack.Client("api").GetFromJsonAsync<JsonElement>("/server/");
        Assert.Equal("production", server.GetProperty("environment").GetString());

        foreach (var service in new[] { "api", "app" })
        {
            var pid = Pid(stack, service);
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

    [Fact]
    public async Task Production_api_and_app_ports_are_bound_by_gunicorn_itself_and_the_api_gets_its_port_back_after_a_kill()
    {
        using var data = new ScratchDirectory();
        await using var stack = await StartProductionAsync(data);
        await stack.WaitHealthyAsync(["api", "app"]);

        foreach (var service in new[] { "api", "app" })
        {
            var endpoint = stack.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == service)
                .Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "http");
            Assert.False(endpoint.IsProxied, $"{service}: Production's endpoint is proxied");
            using var client = stack.Client(service);
            var port = client.BaseAddress!.Port;
            Assert.NotEqual(service == "api" ? 8000 : 5000, port); // the test builder's random ports: parallel stacks never collide
            Assert.Contains(port, Processes.ListeningPorts(Processes.WithDescendants([Pid(stack, service)])));
            Assert.True((await client.GetAsync("/health")).IsSuccessStatusCode, $"{service} /health on its own port {port}");
        }

        // The supervisor restarts a killed api on the same port, still without a proxy.
        var killed = Pid(stack, "api");
        foreach (var pid in Processes.WithDescendants([killed])) Processes.TryKill(pid);
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
        {
            await stack.Notifications.WaitForResourceAsync("api", e => e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy
                && e.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
                && Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture) != killed, cts.Token);
        }
        using var api = stack.Client("api");
        Assert.Contains(api.BaseAddress!.Port, Processes.ListeningPorts(Processes.WithDescendants([Pid(stack, "api")])));
        Assert.True((await api.GetAsync("/health")).IsSuccessStatusCode, "api /health after its restart");
    }
}
