using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Tests.EndToEnd.Dashboard;

namespace Ichrisbirch.Tests.EndToEnd.Docker;

/// <summary>
/// The AppHost's Containers mode on the Docker tests' own engine: PostgreSQL and Redis as containers of the stand-in
/// images built under exactly the references the AppHost names, the services as local processes. The AppHost runs as
/// its own process, the only one given the engine's DOCKER_HOST (with the DCP it starts).
/// </summary>
[Collection(DockerCollection.Name)]
public class ContainersModeDockerTests(DockerStack stack)
{
    private const string ApiKey = "testing-api-secret-key"; // Parameters:api-secret-key in appsettings.Testing.json

    /// <summary>The image references of the AppHost's Containers-mode model, with their stand-ins built in the engine.</summary>
    private async Task<string[]> BuildStandInsAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--environment", "Testing", "--Ichrisbirch:Infrastructure=Containers"]);
        var references = builder.Resources.OfType<ContainerResource>()
            .Select(r => r.Annotations.OfType<ContainerImageAnnotation>().Last())
            .Select(i => $"{(string.IsNullOrEmpty(i.Registry) ? "" : i.Registry + "/")}{i.Image}:{i.Tag}").Distinct().Order(StringComparer.Ordinal).ToArray(); // postgres-init runs the postgres image too
        Assert.Equal(["docker.io/library/postgres:15", "docker.io/library/redis:7"], references);
        await StandIns.BuildAsync(stack.Engine, StandIns.Resolve(references));
        return references;
    }

    private AppHostProcess Start(params string[] args)
        => AppHostProcess.Start(stack.Engine.Environment.ToDictionary(e => e.Key, e => (string?)e.Value), null, args);

    [Fact]
    public async Task Containers_mode_starts_all_five_healthy_and_the_live_suite_passes_against_them()
    {
        await BuildStandInsAsync();
        // The test-runner waits until postgres, redis, api, app and scheduler are healthy, runs tests/live (habit via
        // the api on the app's page, the cache miss then hit, the scheduler's job in PostgreSQL), and the AppHost exits with its code.
        await using var host = Start("--Ichrisbirch:Infrastructure=Containers", "--Ichrisbirch:TestRunner=true", "--Ichrisbirch:ExitWithTestRunner=true");
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        await host.Process.WaitForExitAsync(cts.Token);
        Assert.True(host.Process.ExitCode == 0, $"AppHost (Containers mode) exited {host.Process.ExitCode} (pytest's code):\n{host.Output}");
    }

    [Fact]
    public async Task Containers_mode_passes_the_local_modes_end_to_end_assertions_with_redis_as_its_non_root_user()
    {
        await BuildStandInsAsync();
        var (apiPort, appPort) = (LocalServerEndpoint.FreeLoopbackPort(), LocalServerEndpoint.FreeLoopbackPort());
        await using var host = Start("--Ichrisbirch:Infrastructure=Containers", "--Ichrisbirch:TestRunner=false", "--Ichrisbirch:SchedulerIntervalSeconds=1",
            $"--Ichrisbirch:Api:Port={apiPort}", $"--Ichrisbirch:App:Port={appPort}");
        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}") };
        api.DefaultRequestHeaders.Add("X-API-Key", ApiKey);
        using var app = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{appPort}") };
        await WaitAsync(async () => (await api.GetFromJsonAsync<JsonElement>("/health")) is var h && h.GetProperty("postgres").GetString() == "ok" && h.GetProperty("redis").GetString() == "ok",
            TimeSpan.FromMinutes(5), host);

        var name = $"Stretch {Guid.NewGuid():N}";
        using (var created = await api.PostAsJsonAsync("/habits/", new { name, category = "health" })) Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await WaitAsync(async () => (await app.GetStringAsync("/habits/")).Contains(name, StringComparison.Ordinal), TimeSpan.FromMinutes(2), host);

        // A write first: the app's page above read (and cached) the list.
        using (var w = await api.PostAsJsonAsync("/habits/", new { name = $"Read {Guid.NewGuid():N}", category = "mind" })) w.EnsureSuccessStatusCode();
        Assert.Equal("miss", await CacheHeaderAsync(api));
        Assert.Equal("hit", await CacheHeaderAsync(api));
        using (var w = await api.PostAsJsonAsync("/habits/", new { name = $"Walk {Guid.NewGuid():N}", category = "health" })) w.EnsureSuccessStatusCode();
        Assert.Equal("miss", await CacheHeaderAsync(api));

        using var task = await api.PostAsJsonAsync("/tasks/", new { name = $"Taxes {Guid.NewGuid():N}", priority = 50 });
        var id = (await task.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        await WaitAsync(async () => (await api.GetFromJsonAsync<JsonElement>($"/tasks/{id}/")).GetProperty("priority").GetInt32() <= 48, TimeSpan.FromSeconds(60), host);

        // DCP names its container redis-…; the production compose project's redis runs in the same engine.
        var redis = Assert.Single((await stack.Engine.DockerOkAsync("ps", "--format", "{{.Names}}", "--filter", "ancestor=docker.io/library/redis:7"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), n => n.StartsWith("redis-", StringComparison.Ordinal));
        // docker top needs the pid column in what ps prints
        var server = (await stack.Engine.DockerOkAsync("top", redis, "-eo", "pid,uid,comm")).Split('\n').Skip(1).Single(l => l.Contains("redis-server", StringComparison.Ordinal));
        Assert.Equal("999", server.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]); // the image's redis user, dropped to by its own entrypoint
    }

    [Fact]
    public async Task Auto_mode_with_an_engine_that_cannot_get_an_image_stops_with_one_line_naming_the_image_and_the_fix()
    {
        await using var host = Start("--Ichrisbirch:Infrastructure=Auto", "--Ichrisbirch:RedisVersion=7-without-a-stand-in");
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3)); // not a hang: the pull fails, the AppHost stops
        await host.Process.WaitForExitAsync(cts.Token);
        Assert.Equal(1, host.Process.ExitCode);
        var line = Assert.Single(host.Output.Split('\n'), l => l.StartsWith("ichrisbirch AppHost:", StringComparison.Ordinal));
        Assert.Contains("docker.io/library/redis:7-without-a-stand-in", line);
        Assert.Contains("Ichrisbirch:Infrastructure=Local", line);
    }

    private static async Task<string?> CacheHeaderAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/habits/");
        response.EnsureSuccessStatusCode();
        return response.Headers.TryGetValues("X-Cache", out var v) ? v.Single() : null;
    }

    private static async Task WaitAsync(Func<Task<bool>> done, TimeSpan timeout, AppHostProcess host)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await done()) return;
            }
            catch (HttpRequestException)
            {
                // not up yet
            }
            Assert.False(host.Process.HasExited, $"the AppHost exited {(host.Process.HasExited ? host.Process.ExitCode : 0)}:\n{host.Output}");
            Assert.True(DateTime.UtcNow < deadline, $"not done within {timeout}:\n{host.Output}");
            await Task.Delay(500);
        }
    }
}
