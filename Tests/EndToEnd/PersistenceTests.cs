using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Ichrisbirch.Tests.EndToEnd;

/// <summary>Development keeps its data across AppHost restarts, and every stop is a clean PostgreSQL shutdown.</summary>
public class PersistenceTests
{
    [Fact]
    public async Task Development_data_survives_a_restart_with_a_changed_password_after_a_clean_shutdown()
    {
        using var data = new ScratchDirectory();
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(data.Path, (UnixFileMode)0b111_101_101); // the postgres user must reach it
        string[] args = ["--environment", "Development", $"--Ichrisbirch:Local:DataDirectory={data.Path}"];
        var name = $"Journal {Guid.NewGuid():N}";

        await using (var first = await Stack.StartAsync([.. args, "--Parameters:postgres-password=first-password"]))
        {
            await first.WaitHealthyAsync(Stack.Services);
            var api = first.Client("api");
            api.DefaultRequestHeaders.Add("X-API-Key", "development-api-secret-key");
            using var created = await api.PostAsJsonAsync("/habits/", new { name, category = "mind" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        Assert.Contains("Database cluster state:               shut down", await ControlDataAsync(Path.Combine(data.Path, "postgres")));

        // Second start: the data directory is reused (no initdb) and the new password is applied to it.
        await using var second = await Stack.StartAsync([.. args, "--Parameters:postgres-password=second-password"]);
        await second.WaitHealthyAsync(Stack.Services);
        var habits = await second.Client("api").GetFromJsonAsync<JsonElement[]>("/habits/");
        Assert.Contains(habits!, h => h.GetProperty("name").GetString() == name);
        Assert.DoesNotContain(await second.LogsAsync("postgres"), l => l.Contains("Initialising PostgreSQL data directory", StringComparison.Ordinal));
    }

    private static async Task<string> ControlDataAsync(string dataDirectory)
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "pg_controldata")).First(File.Exists);
        var start = new ProcessStartInfo(bin, [dataDirectory]) { RedirectStandardOutput = true, Environment = { ["LC_ALL"] = "C" } };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }
}
