using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.AppHost;

/// <summary>The Testing environment's pytest run against the live stack.</summary>
internal static class TestRunner
{
    /// <summary>
    /// Testing only: runs the services' live pytest suite against the running stack once api, app and scheduler
    /// are healthy (run mode, and the published test override); its exit code is pytest's; never restarted.
    /// </summary>
    public static IResourceBuilder<PythonAppResource> AddTestRunner(this IDistributedApplicationBuilder builder, IchrisbirchSettings settings, params IResourceBuilder<IResource>[] stack)
    {
        var runner = builder.AddPythonModule("test-runner", settings.ServicesDirectory, "pytest")
            .WithArgs(settings.TestRunnerArgs.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .WithServiceDefaults()
            .WithRestartPolicy(RestartPolicy.No)
            .WithRunToCompletion(TimeSpan.FromMinutes(30));
        if (settings.ExitWithTestRunner) runner.WithApplicationExitOnCompletion();
        foreach (var service in stack)
        {
            runner.WithReferenceRelationship(service).WaitFor(service);
        }
        return runner;
    }
}
