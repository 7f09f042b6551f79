using System.Collections.Concurrent;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.Hosting.Publishing;

/// <summary>
/// The models of one publish: each environment's model is built from <see cref="Topology"/> (the code <c>dotnet run</c>
/// uses) the first time a publisher asks for it, evaluated once, and handed to every publisher that asks again. The
/// builder reads only the checked-in configuration files of the AppHost folder: no environment variables, no user
/// secrets, so the output is the same on every machine and whichever environment publishes.
/// </summary>
/// <param name="topology">Adds the application's resources to a builder.</param>
/// <param name="appHostDirectory">The AppHost folder.</param>
public sealed class PublishedModels(Action<IDistributedApplicationBuilder> topology, string appHostDirectory)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<PublishedModel>>> _models = new(StringComparer.Ordinal);

    /// <summary>Adds the application's resources to a builder.</summary>
    public Action<IDistributedApplicationBuilder> Topology { get; } = topology;

    /// <summary>The AppHost folder.</summary>
    public string AppHostDirectory { get; } = appHostDirectory;

    /// <summary>The model of <paramref name="environmentName"/>: built and evaluated on the first call, the same object afterwards.</summary>
    public Task<PublishedModel> GetAsync(string environmentName, CancellationToken cancellationToken = default)
        => _models.GetOrAdd(environmentName, name => new(() => BuildAsync(name, cancellationToken))).Value;

    /// <summary>True for a builder made here: its topology runs to describe a model, and must not add publish steps again.</summary>
    public static bool IsPublishedModel(IDistributedApplicationBuilder builder) => builder.Services.Any(d => d.ServiceType == typeof(PublishedModelMarker));

    private async Task<PublishedModel> BuildAsync(string environmentName, CancellationToken cancellationToken)
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            // No file watchers: a model built to be translated never reloads, and each watcher holds one of the
            // user's inotify instances (128 by default), which parallel publishes would run out of.
            Args = ["--operation", "publish", "--environment", environmentName, "--contentRoot", AppHostDirectory, "--hostBuilder:reloadConfigOnChange=false"],
            ProjectDirectory = AppHostDirectory,
            DisableDashboard = true,
        });
        builder.Services.AddSingleton<PublishedModelMarker>();

        var sources = ((IConfigurationBuilder)builder.Configuration).Sources;
        foreach (var source in sources.Where(IsMachineSpecific).ToList()) sources.Remove(source);

        Topology(builder);
        var model = new DistributedApplicationModel(builder.Resources);
        var resources = await PublishedResources.EvaluateAsync(model, builder.ExecutionContext, cancellationToken).ConfigureAwait(false);
        return new(environmentName, model, builder.ExecutionContext, resources);
    }

    /// <summary>Environment variables and user secrets differ between machines; checked-in files do not.</summary>
    private static bool IsMachineSpecific(IConfigurationSource source)
        => source is EnvironmentVariablesConfigurationSource
            || (source is JsonConfigurationSource json && string.Equals(json.Path, "secrets.json", StringComparison.OrdinalIgnoreCase));

    /// <summary>Registered in the services of a builder made here (see <see cref="IsPublishedModel"/>).</summary>
    private sealed class PublishedModelMarker;
}
