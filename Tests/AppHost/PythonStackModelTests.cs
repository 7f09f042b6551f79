using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.Tests.AppHost;

/// <summary>The AppHost's own model at start (BeforeStartEvent raised, no process started) when the services need an install.</summary>
public class PythonStackModelTests
{
    [Fact]
    public async Task At_start_every_python_service_also_waits_for_the_one_installer_of_services_venv()
    {
        using var services = new ScratchDirectory();
        Directory.CreateDirectory(Path.Combine(services.Path, ".venv"));
        File.WriteAllText(Path.Combine(services.Path, "requirements.txt"), "flask==2.2.2\n"); // never installed here: no stamp
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--environment", "Testing", "--Ichrisbirch:Infrastructure=Local", $"--Ichrisbirch:ServicesDirectory={services.Path}"]);
        await using var app = await builder.BuildAsync();
        // The testing builder lets Program.cs run into DistributedApplication.Run, which raises the start hooks (no process
        // starts before StartAsync): wait for the Python hook's decision rather than raising the event a second time.
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        for (var deadline = DateTime.UtcNow.AddSeconds(60); model.Resources.OfType<PythonInstallerResource>().Count() > 1; await Task.Delay(50))
        {
            Assert.True(DateTime.UtcNow < deadline, "the start hooks did not run");
        }

        var installer = Assert.Single(model.Resources.OfType<PythonInstallerResource>());
        Assert.Equal("api-installer", installer.Name);
        Assert.Empty(model.Resources.OfType<PythonVenvCreatorResource>());
        Assert.Contains("--no-deps", installer.Annotations.OfType<CommandLineArgsCallbackAnnotation>().Any() ? await Models.ArgTextAsync(installer) : []);
        string[] Waits(string name) => [.. PublishedWaits.Of(model.Resources.Single(r => r.Name == name))
            .Select(w => $"{w.Resource.Name}:{w.Type}").Order()];
        Assert.Equal(["api-installer:WaitForCompletion", "postgres-init:WaitForCompletion", "redis:WaitUntilStarted"], Waits("api"));
        Assert.Equal(["api-installer:WaitForCompletion", "api:WaitUntilHealthy"], Waits("app")); // serving: healthy or degraded
        Assert.Equal(["api-installer:WaitForCompletion", "api:WaitUntilHealthy", "postgres-init:WaitForCompletion"], Waits("scheduler"));
        Assert.Contains("api-installer:WaitForCompletion", Waits("test-runner"));
    }
}
