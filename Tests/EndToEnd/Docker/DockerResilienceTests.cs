using System.Collections.Concurrent;
using System.Globalization;

namespace Ichrisbirch.Tests.EndToEnd.Docker;

/// <summary>The production deployment survives what a host does to it: a killed process, down/up, scaling.</summary>
[Collection(DockerCollection.Name)]
public class DockerResilienceTests(DockerStack stack)
{
    private DockerEngine Engine => stack.Engine;

    [Theory]
    [InlineData("api")]
    [InlineData("postgres")]
    [InlineData("redis")]
    public async Task Main_process_killed_from_the_host_comes_back_healthy_by_its_restart_policy_with_every_acknowledged_write(string service)
    {
        await Engine.WaitHealthyAsync("production", DockerStack.Services.Length, TimeSpan.FromMinutes(6));
        var before = await DockerProductionTests.WriteHabitAsync(stack, "before-kill");
        var id = (await Engine.ContainersAsync("production", service)).Single();
        var restarts = await RestartCountAsync(id);
        var pid = await Engine.DockerOkAsync("inspect", "-f", "{{.State.Pid}}", id);

        // Writes go on during the outage; every one the api acknowledged (201) must survive.
        var acknowledged = new ConcurrentBag<string>([before]);
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { acknowledged.Add(await DockerProductionTests.WriteHabitAsync(stack, "during-kill")); }
                catch (Exception e) when (e is not OperationCanceledException) { /* refused while down: not acknowledged */ }
                await Task.Delay(200);
            }
        });

        var (code, output) = await Processes.RunAsync("kill", ["-9", pid]);
        Assert.True(code == 0, $"kill -9 {pid} ({service}) exited {code}: {output}");
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (await RestartCountAsync(id) <= restarts)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{service} was not restarted by its restart policy within 2 minutes");
            await Task.Delay(500);
        }
        await Engine.WaitHealthyAsync("production", DockerStack.Services.Length, TimeSpan.FromMinutes(6));
        await stop.CancelAsync();
        await writer;
        acknowledged.Add(await DockerProductionTests.WriteHabitAsync(stack, "after-kill"));

        Assert.Equal(id, (await Engine.ContainersAsync("production", service)).Single());
        var names = await DockerProductionTests.HabitNamesAsync(stack);
        Assert.All(acknowledged, name => Assert.Contains(name, names));
    }

    private async Task<int> RestartCountAsync(string id)
        => int.Parse(await Engine.DockerOkAsync("inspect", "-f", "{{.RestartCount}}", id), CultureInfo.InvariantCulture);

    [Fact]
    public async Task Down_then_up_keeps_the_data_in_the_named_volumes()
    {
        await Engine.WaitHealthyAsync("production", DockerStack.Services.Length, TimeSpan.FromMinutes(6));
        var name = await DockerProductionTests.WriteHabitAsync(stack, "before-down");

        var (code, output) = await Engine.ComposeAsync(stack.Bundle, "production", TimeSpan.FromMinutes(5), "down");
        Assert.True(code == 0, $"docker-compose down exited {code}:\n{output}");
        Assert.Empty(await Engine.ContainersAsync("production"));
        await stack.UpAsync(DockerStack.Services.Length, "up", "-d", "--build");

        Assert.Contains(name, await DockerProductionTests.HabitNamesAsync(stack));
        using var client = stack.Client();
        Assert.Contains(name, await client.GetStringAsync("/habits/"));
    }

    [Fact]
    public async Task Scaled_api_replicas_each_serve_requests_through_nginx()
    {
        await stack.UpAsync(DockerStack.Services.Length + 2, "up", "-d", "--scale", "api=3");
        try
        {
            var replicas = await Engine.ContainersAsync("production", "api");
            Assert.Equal(3, replicas.Length);
            var since = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            using (var client = stack.Client())
            {
                for (var i = 0; i < 60; i++)
                {
                    using var response = await client.GetAsync("/api/habits/");
                    response.EnsureSuccessStatusCode();
                }
            }
            foreach (var replica in replicas)
            {
                // Access lines are written in batches, once a second (services/ichrisbirch/access_log.py).
                var deadline = DateTime.UtcNow.AddSeconds(10);
                var log = await Engine.DockerOkAsync("logs", "--since", since, replica);
                while (!log.Contains("GET /habits/", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(200);
                    log = await Engine.DockerOkAsync("logs", "--since", since, replica);
                }
                Assert.True(log.Contains("GET /habits/", StringComparison.Ordinal), $"api replica {replica} logged no request among 60 sent through nginx:\n{log}");
            }
        }
        finally
        {
            await stack.UpAsync(DockerStack.Services.Length, "up", "-d", "--scale", "api=1");
        }
    }
}
