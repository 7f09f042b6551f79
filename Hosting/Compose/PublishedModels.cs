using System.Runtime.CompilerServices;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;

namespace Ichrisbirch.Hosting.Compose;

/// <summary>One environment's model as the publisher sees it.</summary>
/// <param name="EnvironmentName">Production, Development, …</param>
/// <param name="Model">The resources the topology added.</param>
/// <param name="Execution">Publish-mode execution context of that model.</param>
internal sealed record PublishedModel(string EnvironmentName, DistributedApplicationModel Model, DistributedApplicationExecutionContext Execution);

/// <summary>
/// Builds the AppHost's model for an environment in publish mode, from the same topology code <c>dotnet run</c>
/// uses, on a builder that reads only the checked-in configuration files of the AppHost folder: no environment
/// variables, no user secrets, so the bundle is the same on every machine and whichever environment publishes.
/// </summary>
internal static class PublishedModels
{
    private static readonly ConditionalWeakTable<IDistributedApplicationBuilder, object> s_published = [];

    /// <summary>
    /// Adds a publish target: in run mode a builder for <paramref name="resource"/> outside the model; in publish
    /// mode the resource (excluded from the manifest) and, on the AppHost's own builder, the pipeline step
    /// <c>publish-{name}</c> that runs <paramref name="publish"/> before <paramref name="requiredBy"/>.
    /// </summary>
    public static IResourceBuilder<T> AddPublishTarget<T>(IDistributedApplicationBuilder builder, T resource, string label,
        Func<Aspire.Hosting.Pipelines.PipelineStepContext, Task> publish, params string[] requiredBy) where T : IResource
    {
        if (!builder.ExecutionContext.IsPublishMode) return builder.CreateResourceBuilder(resource);
        if (!IsPublishedModel(builder))
        {
            builder.Pipeline.AddStep($"publish-{resource.Name}", context => ComposePublishException.ReportAsOneLineAsync(context, () => publish(context), label),
                requiredBy: (string[])[Aspire.Hosting.Pipelines.WellKnownPipelineSteps.Publish, .. requiredBy]);
        }
        return builder.AddResource(resource).ExcludeFromManifest();
    }

    /// <summary>True for a builder made here (its topology must not register publish steps again).</summary>
    public static bool IsPublishedModel(IDistributedApplicationBuilder builder) => s_published.TryGetValue(builder, out _);

    public static PublishedModel Build(ComposeBundleResource environment, string environmentName)
        => Build(environment.Topology, environment.AppHostDirectory, environmentName);

    /// <summary>Publisher-neutral: the model <paramref name="topology"/> builds for <paramref name="environmentName"/>.</summary>
    public static PublishedModel Build(Action<IDistributedApplicationBuilder> topology, string appHostDirectory, string environmentName)
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            // No file watchers: a model built to be translated never reloads, and each watcher holds one of the
            // user's inotify instances (128 by default), which parallel publishes would run out of.
            Args = ["--operation", "publish", "--environment", environmentName, "--contentRoot", appHostDirectory, "--hostBuilder:reloadConfigOnChange=false"],
            ProjectDirectory = appHostDirectory,
            DisableDashboard = true,
        });
        s_published.Add(builder, new object());

        var sources = ((IConfigurationBuilder)builder.Configuration).Sources;
        foreach (var source in sources.Where(IsMachineSpecific).ToList()) sources.Remove(source);

        topology(builder);
        return new(environmentName, new DistributedApplicationModel(builder.Resources), builder.ExecutionContext);
    }

    /// <summary>Environment variables and user secrets differ between machines; checked-in files do not.</summary>
    private static bool IsMachineSpecific(IConfigurationSource source)
        => source is EnvironmentVariablesConfigurationSource
            || (source is JsonConfigurationSource json && string.Equals(json.Path, "secrets.json", StringComparison.OrdinalIgnoreCase));
}

/// <summary>The model cannot be published as it is; the message names the resource and the fix. Reported as one line.</summary>
public sealed class ComposePublishException(string message) : OneLineException(message)
{
    /// <summary>
    /// Runs a publish step; a <see cref="ComposePublishException"/> becomes one line on stderr, exit code 1 and a
    /// stopped AppHost, instead of the pipeline's stack traces and exit code 0; any other failure keeps the pipeline's
    /// log and exits 1 too.
    /// </summary>
    internal static async Task ReportAsOneLineAsync(Aspire.Hosting.Pipelines.PipelineStepContext context, Func<Task> step, string label = "compose")
    {
        try
        {
            await step().ConfigureAwait(false);
        }
        catch (ComposePublishException ex)
        {
            Console.Error.WriteLine($"aspire publish ({label}): {ex.Message}");
            Environment.ExitCode = 1;
            Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
                .GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>(context.Services).StopApplication();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Anything else (a folder that cannot be written, …): the pipeline logs it with its stack trace, but
            // would exit 0; a publish that wrote nothing must not look like a success.
            Environment.ExitCode = 1;
            throw;
        }
    }
}
