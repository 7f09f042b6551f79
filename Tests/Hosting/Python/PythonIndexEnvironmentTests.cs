using System.Diagnostics;
using Xunit.Abstractions;
using static Ichrisbirch.Tests.Hosting.Python.PythonRun;

namespace Ichrisbirch.Tests.Hosting.Python;

/// <summary>PIP_INDEX_URL is process-wide: this test runs alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(PythonIndexEnvironmentTests), DisableParallelization = true)]
public sealed class PythonIndexEnvironmentCollection;

/// <summary>The package index named by PIP_INDEX_URL, as pip reads it (a real run on this machine).</summary>
[Collection(nameof(PythonIndexEnvironmentTests))]
public class PythonIndexEnvironmentTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_unreachable_index_stops_the_installer_at_once_with_one_line_naming_the_missing_packages_and_the_fix()
    {
        using var root = new ScratchDirectory();
        var service = Directory.CreateDirectory(Path.Combine(root.Path, "service")).FullName;
        Models.Touch(Path.Combine(service, "requirements.txt"), "tinypkg==1.0\nuvicorn\n");
        var closed = $"http://127.0.0.1:{LocalServerEndpoint.FreeLoopbackPort()}/simple";
        Environment.SetEnvironmentVariable("PIP_INDEX_URL", closed);
        try
        {
            var clock = Stopwatch.StartNew();
            await using var app = await StartAsync(b => b.AddUvicornApp("web", service, "tinypkg.app:app"));
            var line = await FailureLineAsync(app, "web-installer", $"web-installer: no package index reachable at {closed}");
            clock.Stop();
            Assert.Contains("tinypkg==1.0 not installed", line); // uvicorn is there (system site packages): not named
            Assert.DoesNotContain("uvicorn", line.Split(" not installed")[0].Split(')').Last());
            Assert.Contains("apt-get install python3-tinypkg", line);
            Assert.Contains("PIP_INDEX_URL", line);
            Assert.NotEqual("Running", State(app, "web")?.Snapshot.State?.Text);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
            output.WriteLine($"no-index failure after {clock.Elapsed.TotalSeconds:F1} s (venv creation included): {line}");
        }
        finally
        {
            Environment.SetEnvironmentVariable("PIP_INDEX_URL", null);
        }
    }
}
