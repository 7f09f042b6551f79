using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Ichrisbirch.Tests.EndToEnd.Docker;

/// <summary>The production bundle deployed as its README says, on a real Docker Engine, seen through nginx.</summary>
[Collection(DockerCollection.Name)]
public class DockerProductionTests(DockerStack stack)
{
    /// <summary>Writes a habit through nginx (production's, or the one on https <paramref name="port"/>) and the api; returns its name (the write was acknowledged with 201).</summary>
    public static async Task<string> WriteHabitAsync(DockerStack stack, string prefix = "docker", int? port = null)
    {
        var name = $"{prefix}-{Guid.NewGuid():N}";
        using var api = stack.Api(port);
        using var created = await api.PostAsJsonAsync("/api/habits/", new { name, category = "docker-test" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"POST /api/habits/ answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
        return name;
    }

    /// <summary>The names of every habit, read through nginx (production's, or the one on https <paramref name="port"/>) from the api.</summary>
    public static async Task<HashSet<string>> HabitNamesAsync(DockerStack stack, int? port = null)
    {
        using var client = stack.Client(port: port);
        var habits = await client.GetFromJsonAsync<JsonElement>("/api/habits/");
        return [.. habits.EnumerateArray().Select(h => h.GetProperty("name").GetString()!)];
    }

    [Fact]
    public async Task Every_service_is_healthy_and_a_habit_written_through_the_api_is_on_the_app_page()
    {
        await stack.Engine.WaitHealthyAsync("production", (await stack.Engine.ContainersAsync("production")).Length - (await stack.Engine.ContainersAsync("production", "postgres-init")).Length, TimeSpan.FromMinutes(6));
        foreach (var service in DockerStack.Services)
        {
            var ids = await stack.Engine.ContainersAsync("production", service);
            Assert.NotEmpty(ids);
            foreach (var id in ids) Assert.Equal("healthy", await stack.Engine.HealthAsync(id));
        }

        var name = await WriteHabitAsync(stack);
        using var client = stack.Client();
        using var list = await client.GetAsync("/api/habits/");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Contains(name, await list.Content.ReadAsStringAsync());
        using var page = await client.GetAsync("/habits/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains(name, await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Http_redirects_to_https_on_the_non_default_https_port_of_env_and_https_answers_with_hsts()
    {
        using var http = stack.Client("http");
        using var redirect = await http.GetAsync("/habits/?page=1");
        Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
        // HTTPS_PORT in .env is 28443, not 443: a Location without it would send the browser to a port nothing serves.
        Assert.Equal($"https://127.0.0.1:{DockerStack.HttpsPort}/habits/?page=1", redirect.Headers.Location?.OriginalString);

        using var https = stack.Client();
        using var page = await https.GetAsync(redirect.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.True(page.Headers.TryGetValues("Strict-Transport-Security", out var hsts), "no Strict-Transport-Security header over https");
        Assert.Contains("max-age=", string.Join(",", hsts));
    }

    [Fact]
    public async Task Serving_processes_in_every_container_are_not_root()
    {
        var found = new List<string>();
        foreach (var id in await stack.Engine.ContainersAsync("production"))
        {
            var service = await stack.Engine.DockerOkAsync("inspect", "-f", "{{index .Config.Labels \"com.docker.compose.service\"}}", id);
            if (await stack.Engine.DockerOkAsync("inspect", "-f", "{{.State.Running}} {{.State.ExitCode}}", id) == "false 0") continue; // a one-shot (postgres-init) that finished
            var main = int.Parse(await stack.Engine.DockerOkAsync("inspect", "-f", "{{.State.Pid}}", id), System.Globalization.CultureInfo.InvariantCulture);
            var processes = await ServingProcessesAsync(id, main);
            // nginx's master binds 80 and 443 (privileged ports) and its entry script may signal it, so both may be
            // root; the workers, which serve the requests, never.
            if (service == "nginx") processes = [.. processes.Where(p => p.Args.StartsWith("nginx: worker", StringComparison.Ordinal))];
            Assert.True(processes.Count > 0, $"{service}: no serving process found in container {id}");
            foreach (var (pid, uid, args) in processes)
            {
                if (uid == 0) found.Add($"{service}: pid {pid} runs as root: {args}");
            }
        }
        Assert.True(found.Count == 0, string.Join("\n", found));
    }

    /// <summary>The container's main process and its descendants (not the healthchecks' execs), with uid and command line.</summary>
    private async Task<List<(int Pid, int Uid, string Args)>> ServingProcessesAsync(string id, int main)
    {
        var rows = (await stack.Engine.DockerOkAsync("top", id, "-eo", "pid,ppid,uid,args")).Split('\n').Skip(1)
            .Select(l => l.Split((char[]?)null, 4, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 4)
            .Select(f => (Pid: int.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture), Ppid: int.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture),
                Uid: int.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture), Args: f[3]))
            .ToList();
        var tree = new HashSet<int> { main };
        bool added;
        do
        {
            added = false;
            foreach (var r in rows) if (tree.Contains(r.Ppid) && tree.Add(r.Pid)) added = true;
        }
        while (added);
        return [.. rows.Where(r => tree.Contains(r.Pid)).Select(r => (r.Pid, r.Uid, r.Args))];
    }

    [Fact]
    public async Task The_unchanged_env_example_is_refused_with_the_variable_to_set()
    {
        var folder = Directory.CreateTempSubdirectory("compose-unchanged-env-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(stack.Bundle, "docker-compose*.yml")) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            File.Copy(Path.Combine(stack.Bundle, ".env.example"), Path.Combine(folder, ".env"));
            // Its own project: were the guard missing, production's containers would stay untouched.
            var (code, output) = await Processes.RunAsync("docker-compose", ["-p", DockerEngine.Project("refused"), "up", "-d"], folder, stack.Engine.Environment, TimeSpan.FromMinutes(2));
            Assert.NotEqual(0, code);
            Assert.Matches(@"set [A-Z_]+ in \.env", output);
            Assert.Empty(await stack.Engine.ContainersAsync("refused"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Every_image_the_bundle_names_has_a_stand_in()
    {
        var resolved = StandIns.Resolve(stack.Bundle);
        Assert.NotEmpty(resolved);
        Assert.All(resolved, r => Assert.True(r.StandIn is not null, $"{r.Reference} has no stand-in under {StandIns.Folder}"));
    }
}
