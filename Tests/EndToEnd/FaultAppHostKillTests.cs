using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Ichrisbirch.Tests.EndToEnd;

/// <summary>SIGKILL of the AppHost itself: nothing of the stack outlives it, and the next start has all the data.</summary>
public class FaultAppHostKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_killed_apphost_leaves_no_process_within_ten_seconds_and_the_next_start_has_every_write_until_a_sigterm_stops_it_leaving_nothing()
    {
        using var data = new ScratchDirectory();
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(data.Path, (UnixFileMode)0b111_101_101); // the postgres user must reach it
        int apiPort = LocalServerEndpoint.FreeLoopbackPort(), appPort = LocalServerEndpoint.FreeLoopbackPort(), pgPort = LocalServerEndpoint.FreeLoopbackPort(), redisPort = LocalServerEndpoint.FreeLoopbackPort();
        string[] args =
        [
            "--environment", "Testing", "--Ichrisbirch:Infrastructure=Local", "--Ichrisbirch:TestRunner=false",
            "--Ichrisbirch:PersistentData=true", $"--Ichrisbirch:Local:DataDirectory={data.Path}",
            $"--Ichrisbirch:Api:Port={apiPort}", $"--Ichrisbirch:App:Port={appPort}",
            $"--Ichrisbirch:PostgresPort={pgPort}", $"--Ichrisbirch:RedisPort={redisPort}",
        ];
        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}"), Timeout = TimeSpan.FromSeconds(10) };
        api.DefaultRequestHeaders.Add("X-API-Key", FaultStack.ApiKey);
        var written = new List<string>();

        var (first, firstLog) = StartAppHost(args);
        try
        {
            await WaitAnswersAsync(api, appPort, first, firstLog);
            for (var i = 0; i < 3; i++)
            {
                var name = $"Fault {Guid.NewGuid():N}";
                using var created = await api.PostAsJsonAsync("/habits/", new { name, category = "mind" });
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                written.Add(name);
            }

            // DCP detaches into its own session ("dcp start-apiserver --monitor APPHOST_PID"); the services run under it.
            var stack = Processes.WithDescendants(DcpOf(first.Id));
            Assert.True(stack.Count >= 6, $"expected DCP and the five services, found {stack.Count}");

            var clock = Stopwatch.StartNew();
            first.Kill(); // SIGKILL
            while (clock.Elapsed < TimeSpan.FromSeconds(10) && stack.Any(Processes.IsAlive)) await Task.Delay(100);
            var alive = stack.Where(Processes.IsAlive).ToList();
            output.WriteLine($"AppHost SIGKILL: last stack process gone after {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.True(alive.Count == 0, $"still running 10 s after the AppHost was killed: {string.Join(", ", alive.Select(Processes.Describe))}");
        }
        finally
        {
            if (!first.HasExited) first.Kill(entireProcessTree: true);
        }

        var (second, secondLog) = StartAppHost(args);
        try
        {
            await WaitAnswersAsync(api, appPort, second, secondLog);
            var names = (await api.GetFromJsonAsync<JsonElement[]>("/habits/"))!.Select(h => h.GetProperty("name").GetString()).ToList();
            Assert.All(written, w => Assert.Contains(w, names));

            // SIGTERM is a stop the user asked for: the supervisor restarts nothing, and nothing is left once the
            // AppHost has exited (it ends DCP's own processes after the services, DcpQuickStop): Ctrl+C returns to a clean machine.
            var stack = Processes.WithDescendants(DcpOf(second.Id));
            var stopping = Stopwatch.StartNew();
            await StopAsync(second);
            output.WriteLine($"AppHost SIGTERM: exited after {stopping.Elapsed.TotalSeconds:0.00} s");
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(0.5) && stack.Any(Processes.IsAlive)) await Task.Delay(50);
            Assert.True(second.ExitCode == 0, $"AppHost exit code after SIGTERM: {second.ExitCode}");
            Assert.DoesNotContain(" restart 1 in ", secondLog.ToString(), StringComparison.Ordinal);
            var alive = stack.Where(Processes.IsAlive).ToList();
            Assert.True(alive.Count == 0, $"still running 0.5 s after the AppHost exited: {string.Join(", ", alive.Select(Processes.Describe))}");
        }
        finally
        {
            await StopAsync(second);
        }
    }

    private static (Process Process, StringBuilder Log) StartAppHost(string[] args)
    {
        // The AppHost the test build produced (same configuration as this test assembly), run from its project folder.
        var output = AppContext.BaseDirectory.TrimEnd('/'); // Tests/bin/{configuration}/{framework}
        var dll = Path.Combine(Repository.Root, "AppHost", "bin", Path.GetFileName(Path.GetDirectoryName(output))!, Path.GetFileName(output), "AppHost.dll");
        var start = new ProcessStartInfo("dotnet", [dll, .. args])
        {
            WorkingDirectory = Path.Combine(Repository.Root, "AppHost"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{LocalServerEndpoint.FreeLoopbackPort()}",
                ["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://127.0.0.1:{LocalServerEndpoint.FreeLoopbackPort()}",
                ["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true",
                ["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true",
            },
        };
        var log = new StringBuilder();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, log);
    }

    private static async Task WaitAnswersAsync(HttpClient api, int appPort, Process apphost, StringBuilder log)
    {
        using var app = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(180))
        {
            if (apphost.HasExited) break;
            try
            {
                using var a = await api.GetAsync("/health");
                using var b = await app.GetAsync($"http://127.0.0.1:{appPort}/health");
                if (a.IsSuccessStatusCode && b.IsSuccessStatusCode) return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(500);
        }
        string text;
        lock (log) text = log.ToString();
        throw new TimeoutException($"the AppHost's api and app did not answer (exited: {apphost.HasExited}):\n{text}");
    }

    private static async Task StopAsync(Process apphost)
    {
        if (apphost.HasExited) return;
        using (var term = Process.Start("kill", ["-TERM", apphost.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await apphost.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { apphost.Kill(entireProcessTree: true); }
    }

    private static IEnumerable<int> DcpOf(int apphost)
    {
        var monitor = $" --monitor {apphost} ";
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string cmdline;
            try { cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' '); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            if (cmdline.Contains("dcp", StringComparison.Ordinal) && cmdline.Contains(monitor, StringComparison.Ordinal)) yield return pid;
        }
    }
}
