using System.Net;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ichrisbirch.Tests.EndToEnd;

/// <summary>Degraded is not down: without Redis the api and the app serve, the dashboard shows them Degraded.</summary>
public class DegradedTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_stack_started_with_redis_down_brings_api_app_and_scheduler_up_degraded_and_all_healthy_once_redis_runs()
    {
        // A stand-in redis-server that is started (Running) but does not listen until the test opens its gate.
        using var scratch = new ScratchDirectory();
        var gate = Path.Combine(scratch.Path, "redis-may-listen");
        var standIn = Path.Combine(scratch.Path, "redis-server");
        var redisServer = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.First(File.Exists);
        await File.WriteAllTextAsync(standIn, $"#!/bin/sh\nuntil [ -e '{gate}' ]; do sleep 0.2; done\nexec {redisServer} \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(standIn, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        await using var stack = await Stack.StartAsync("--Ichrisbirch:TestRunner=false", $"--Ichrisbirch:Local:RedisServerPath={standIn}");
        await WaitHealthAsync(stack, "api", HealthStatus.Degraded);
        await WaitHealthAsync(stack, "app", HealthStatus.Degraded);
        await WaitHealthAsync(stack, "scheduler", HealthStatus.Healthy);
        Assert.NotEqual(HealthStatus.Healthy, Health(stack, "redis"));

        await AssertPagesServeAsync(stack);

        await File.WriteAllTextAsync(gate, "");
        await stack.WaitHealthyAsync(Stack.Services, Bound);
    }

    /// <summary>The api and app answer their pages: the habits list from PostgreSQL (cache bypass) and the app's page.</summary>
    internal static async Task AssertPagesServeAsync(Stack stack)
    {
        using var api = stack.Client("api");
        using var list = await api.GetAsync("/habits/");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal("bypass", Assert.Single(list.Headers.GetValues("X-Cache")));
        using var app = stack.Client("app");
        using var page = await app.GetAsync("/habits/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        using var health = await api.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode); // degraded is a success: readiness and compose keep it in service
        Assert.Contains("\"status\":\"degraded\"", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    internal static HealthStatus? Health(Stack stack, string resource)
        => stack.Notifications.TryGetCurrentState(resource, out var e) ? e.Snapshot.HealthStatus : null;

    /// <summary>Waits until the dashboard shows <paramref name="resource"/> Running with <paramref name="status"/>.</summary>
    internal static async Task WaitHealthAsync(Stack stack, string resource, HealthStatus status)
    {
        using var cts = new CancellationTokenSource(Bound);
        try
        {
            await stack.Notifications.WaitForResourceAsync(resource,
                e => e.Snapshot.State?.Text == KnownResourceStates.Running && e.Snapshot.HealthStatus == status, cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{resource} not Running / {status} within {Bound.TotalSeconds} s. States: {await stack.DescribeAsync()}");
        }
    }
}
