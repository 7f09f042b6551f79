using Aspire.Hosting.Eventing;
using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.Tests.Support;

/// <summary>
/// Model readers: the AppHost's own model (<see cref="AppHostModelAsync"/>), a bare builder over a scratch folder and
/// the model as it stands once start-up has decided (<see cref="AtStartAsync"/>), and a resource's arguments and environment.
/// </summary>
internal static class Models
{
    /// <summary>The model as Program.cs leaves it, without building the app (no DCP, nothing to tear down).</summary>
    public static async Task<DistributedApplicationModel> AppHostModelAsync(params string[] args)
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(args);
        return new DistributedApplicationModel(builder.Resources.ToList());
    }

    public static IDistributedApplicationBuilder Builder(string appHostDirectory, string environment = "Development", params string[] args)
        => DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            ProjectDirectory = appHostDirectory,
            // DCP's paths only satisfy Aspire's start-hook validation: these tests never start DCP.
            Args = ["--environment", environment, "--DcpPublisher:CliPath=/nonexistent/dcp", "--DcpPublisher:DashboardPath=/nonexistent/dashboard", .. args],
            DisableDashboard = true,
        });

    /// <summary>Builds the app and raises BeforeStartEvent, as a start does before any process runs; no process starts.</summary>
    public static async Task<DistributedApplicationModel> AtStartAsync(IDistributedApplicationBuilder builder)
    {
        var app = builder.Build();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        await app.Services.GetRequiredService<IDistributedApplicationEventing>().PublishAsync(new BeforeStartEvent(app.Services, model));
        return model;
    }

    public static async Task<object[]> ArgsAsync(IResource resource, DistributedApplicationOperation operation = DistributedApplicationOperation.Run)
    {
        var args = new List<object>();
        var context = new CommandLineArgsCallbackContext(args, resource, CancellationToken.None) { ExecutionContext = new(operation) };
        foreach (var callback in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>()) await callback.Callback(context);
        return [.. args];
    }

    /// <summary>The arguments with endpoint references shown as {endpoint-name} and expressions as {expr}.</summary>
    public static async Task<string[]> ArgTextAsync(IResource resource, DistributedApplicationOperation operation = DistributedApplicationOperation.Run)
        => (await ArgsAsync(resource, operation)).Select(a => a switch
        {
            string s => s,
            EndpointReferenceExpression e => $"{{{e.Endpoint.EndpointName}}}",
            _ => "{expr}",
        }).ToArray();

    public static async Task<Dictionary<string, object>> EnvironmentAsync(IResource resource)
    {
        var env = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), resource, env);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>()) await callback.Callback(context);
        return env;
    }

    public static IEnumerable<WaitAnnotation> Waits(IResource resource) => resource.Annotations.OfType<WaitAnnotation>();

    public static string Touch(string path, string content = "")
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }
}
