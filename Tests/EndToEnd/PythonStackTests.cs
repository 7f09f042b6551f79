using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Ichrisbirch.Tests.EndToEnd;

/// <summary>This machine's own stack from a services folder without a venv: the AppHost creates and fills it (Debian's packages).</summary>
public class PythonStackTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Services_folder_without_a_venv_gets_one_with_system_site_packages_and_one_install_then_a_warm_start_installs_nothing()
    {
        using var services = new ScratchDirectory();
        Copy(Path.Combine(Repository.Services, "ichrisbirch"), Path.Combine(services.Path, "ichrisbirch"));
        File.Copy(Path.Combine(Repository.Services, "requirements.txt"), Path.Combine(services.Path, "requirements.txt"));
        string[] args = [$"--Ichrisbirch:ServicesDirectory={services.Path}", "--Ichrisbirch:TestRunner=false"];

        var cold = Stopwatch.StartNew();
        await using (var stack = await Stack.StartAsync(args))
        {
            await stack.WaitHealthyAsync(Stack.Services);
            cold.Stop();
            Assert.Equal(0, Exit(stack, "api-venv-creator"));
            Assert.Equal(0, Exit(stack, "api-installer")); // one installer for api, app and scheduler
            var model = stack.App.Services.GetRequiredService<DistributedApplicationModel>();
            Assert.Equal(["api-installer"], model.Resources.OfType<PythonInstallerResource>().Select(r => r.Name));
            Assert.Contains("include-system-site-packages = true", await File.ReadAllTextAsync(Path.Combine(services.Path, ".venv", "pyvenv.cfg")));
            var installLog = string.Join('\n', await stack.LogsAsync("api-installer"));
            Assert.Contains("Every requirement is already installed", installLog); // Debian's packages satisfy the pins offline
        }

        var warm = Stopwatch.StartNew();
        await using (var stack = await Stack.StartAsync(args))
        {
            await stack.WaitHealthyAsync(Stack.Services);
            warm.Stop();
            var model = stack.App.Services.GetRequiredService<DistributedApplicationModel>();
            Assert.Empty(model.Resources.OfType<PythonInstallerResource>());
            Assert.Empty(model.Resources.OfType<PythonVenvCreatorResource>());
        }
        output.WriteLine($"stack start to all healthy: cold (venv + install) {cold.Elapsed.TotalSeconds:F1} s, warm (no installer) {warm.Elapsed.TotalSeconds:F1} s");
    }

    private static int? Exit(Stack stack, string name)
        => stack.Notifications.TryGetCurrentState(name, out var e) ? e.Snapshot.ExitCode : null;

    private static void Copy(string source, string target)
    {
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            if (file.Contains("__pycache__", StringComparison.Ordinal)) continue;
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
    }
}
