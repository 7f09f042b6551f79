using System.Net;
using System.Text.Json;
using Ichrisbirch.Tests.Hosting.Compose;

namespace Ichrisbirch.Tests.EndToEnd.Docker;

/// <summary>
/// The testing and development overrides, each in its own project (<c>-p ichrisbirch-{environment}</c>) beside the
/// running production deployment, which their <c>down -v</c> must leave untouched.
/// </summary>
[Collection(DockerCollection.Name)]
public class DockerOverrideTests(DockerStack stack)
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(30);
    private DockerEngine Engine => stack.Engine;

    /// <summary>nginx of an override may not take production's host ports: other ones, given as variables (they win over .env).</summary>
    private static Dictionary<string, string> OtherNginxPorts(int offset) => new()
    {
        ["HTTP_PORT"] = (DockerStack.HttpPort + offset).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["HTTPS_PORT"] = (DockerStack.HttpsPort + offset).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task Testing_override_runs_the_live_suite_to_exit_0_on_tmpfs_and_a_failing_selection_exits_non_zero()
    {
        var production = await ProductionStateAsync();
        try
        {
            var (code, output) = await Engine.ComposeAsync(stack.Bundle, "testing", Long,
                ["up", "--build", "--exit-code-from", "test-runner", .. DocumentedServices("testing")], OtherNginxPorts(100));
            Assert.True(code == 0, $"up --exit-code-from test-runner exited {code}:\n{output}");
            Assert.Matches(@"test-runner.*\d+ passed", output);

            var postgres = (await Engine.ContainersAsync("testing", "postgres")).Single();
            var mounts = JsonDocument.Parse(await Engine.DockerOkAsync("inspect", "-f", "{{json .HostConfig.Mounts}}", postgres)).RootElement;
            Assert.Contains(mounts.EnumerateArray(), m => m.GetProperty("Target").GetString() == "/var/lib/postgresql/data" && m.GetProperty("Type").GetString() == "tmpfs");

            var (failing, failingOutput) = await Engine.ComposeAsync(stack.Bundle, "testing", Long,
                ["run", "--rm", "--no-deps", "test-runner", "-m", "pytest", "tests/live", "-m", "canary"], OtherNginxPorts(100));
            Assert.True(failing != 0, $"a failing selection (-m canary) exited 0:\n{failingOutput}");
            Assert.Contains("1 failed", failingOutput);
        }
        finally
        {
            await DownAsync("testing");
        }
        await AssertUntouchedAsync(production);
    }

    [Fact]
    public async Task Development_override_serves_a_changed_source_file_without_a_rebuild()
    {
        var production = await ProductionStateAsync();
        var source = Path.Combine(stack.Bundle, "services", "ichrisbirch", "api", "server.py");
        var original = await File.ReadAllTextAsync(source);
        var token = Guid.NewGuid().ToString("N");
        try
        {
            var services = DocumentedServices("development");
            await WaitForFreeHostPortsAsync("docker-compose.dev.yml", services, TimeSpan.FromMinutes(10));
            var (code, output) = await Engine.ComposeAsync(stack.Bundle, "development", Long, ["up", "-d", "--build", .. services], OtherNginxPorts(200));
            Assert.True(code == 0, $"development up -d --build exited {code}:\n{output}");
            await Engine.WaitHealthyAsync("development", (await Engine.ContainersAsync("development")).Length, TimeSpan.FromMinutes(6));
            var image = await Engine.DockerOkAsync("inspect", "-f", "{{.Image}}", (await Engine.ContainersAsync("development", "api")).Single());

            using var client = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:8000"), Timeout = TimeSpan.FromSeconds(10) };
            using (var missing = await client.GetAsync("/reload-probe")) Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

            await File.AppendAllTextAsync(source, $"\n\n@router.get(\"/reload-probe\")\ndef reload_probe() -> dict:\n    return {{\"token\": \"{token}\"}}\n");
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            var last = "";
            while (!last.Contains(token, StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the changed server.py was not served within 2 minutes (last answer: {last})");
                await Task.Delay(500);
                try { last = await client.GetStringAsync("/reload-probe"); }
                catch (HttpRequestException e) { last = e.Message; }
            }
            Assert.Equal(image, await Engine.DockerOkAsync("inspect", "-f", "{{.Image}}", (await Engine.ContainersAsync("development", "api")).Single()));
        }
        finally
        {
            await File.WriteAllTextAsync(source, original);
            await DownAsync("development");
        }
        await AssertUntouchedAsync(production);
    }

    /// <summary>
    /// The services the bundle's header names in an environment's <c>up</c> command (none: every service), e.g.
    /// <c>#   testing: docker-compose … up --build --exit-code-from test-runner test-runner</c>.
    /// </summary>
    private string[] DocumentedServices(string environment)
    {
        var header = File.ReadLines(Path.Combine(stack.Bundle, "docker-compose.yml")).TakeWhile(l => l.StartsWith('#'));
        var command = header.FirstOrDefault(l => l.TrimStart('#', ' ').StartsWith($"{environment}:", StringComparison.Ordinal));
        Assert.True(command is not null, $"the header of docker-compose.yml shows no {environment} command");
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var services = new List<string>();
        for (var i = Array.IndexOf(words, "up") + 1; i > 0 && i < words.Length; i++)
        {
            if (words[i] is "--exit-code-from" or "--scale" or "-t" or "--timeout") i++;
            else if (!words[i].StartsWith('-')) services.Add(words[i]);
        }
        return [.. services];
    }

    /// <summary>
    /// The development override publishes fixed host ports (5432, 6379, 8000, …); on a shared machine another program
    /// may hold one for a while: wait for them, then fail naming the port.
    /// </summary>
    private async Task WaitForFreeHostPortsAsync(string file, string[] services, TimeSpan timeout)
    {
        var ports = new List<int>();
        foreach (var (name, service) in Publisher.ReadYaml(Path.Combine(stack.Bundle, file)).Map("services"))
        {
            if ((services.Length > 0 && !services.Contains((string)name)) || service is not Dictionary<object, object> map || !map.TryGetValue("ports", out var list)) continue;
            foreach (var port in (List<object>)list)
            {
                var published = port is Dictionary<object, object> m ? (string)m["published"] : ((string)port).Split('/')[0].Split(':')[^2];
                ports.Add(int.Parse(published, System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        var deadline = DateTime.UtcNow + timeout;
        while (ports.FirstOrDefault(p => !IsFree(p)) is var busy and > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"host port {busy} stayed in use by another program for {timeout}: {file} publishes it; stop that program");
            await Task.Delay(TimeSpan.FromSeconds(5));
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new System.Net.Sockets.TcpListener(IPAddress.Any, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private async Task DownAsync(string environment)
    {
        var (code, output) = await Engine.ComposeAsync(stack.Bundle, environment, TimeSpan.FromMinutes(5), ["down", "-v", "--remove-orphans"], OtherNginxPorts(0));
        Assert.True(code == 0, $"{environment} down -v exited {code}:\n{output}");
        Assert.Empty(await Engine.ContainersAsync(environment));
    }

    private async Task<(string[] Containers, string[] Volumes, string Habit)> ProductionStateAsync()
    {
        await Engine.WaitHealthyAsync("production", DockerStack.Services.Length, TimeSpan.FromMinutes(6));
        var habit = await DockerProductionTests.WriteHabitAsync(stack, "production");
        return ([.. (await Engine.ContainersAsync("production")).Order()], await ProductionVolumesAsync(), habit);
    }

    private async Task<string[]> ProductionVolumesAsync()
        => [.. (await Engine.DockerOkAsync("volume", "ls", "-q", "--filter", $"label=com.docker.compose.project={DockerEngine.Project("production")}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order()];

    private async Task AssertUntouchedAsync((string[] Containers, string[] Volumes, string Habit) before)
    {
        Assert.Equal(before.Containers, (await Engine.ContainersAsync("production")).Order());
        Assert.Equal(before.Volumes, await ProductionVolumesAsync());
        Assert.Equal(2, before.Volumes.Length);
        await Engine.WaitHealthyAsync("production", DockerStack.Services.Length, TimeSpan.FromMinutes(2));
        Assert.Contains(before.Habit, await DockerProductionTests.HabitNamesAsync(stack));
    }
}
