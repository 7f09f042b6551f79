using Aspire.Hosting.Pipelines;
using Ichrisbirch.Hosting.Publishing;
using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.Tests.Hosting.Publishing;

/// <summary>
/// A third publisher, written against the publishing core alone (no compose, no Kubernetes): one
/// <c>env-files/{environment}/{resource}.env</c> per published resource, parameters as <c>&lt;NAME&gt;</c>.
/// </summary>
internal static class EnvFilePublisher
{
    /// <summary>Adds the env-file target for <paramref name="environments"/> of <paramref name="topology"/>.</summary>
    public static IResourceBuilder<EnvFileTarget> AddEnvFiles(this IDistributedApplicationBuilder builder, string name,
        Action<IDistributedApplicationBuilder> topology, params string[] environments)
    {
        var target = new EnvFileTarget(name, topology, builder.AppHostDirectory, environments);
        return builder.AddPublishTarget(target, "env-files", (models, context) =>
            WriteAsync(target, models, context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory(), context.CancellationToken));
    }

    /// <summary>Writes the files from the publish's models.</summary>
    public static async Task WriteAsync(EnvFileTarget target, PublishedModels models, string output, CancellationToken cancellationToken)
    {
        foreach (var environment in target.Environments)
        {
            var model = await models.GetAsync(environment, cancellationToken);
            var folder = Path.Combine(output, "env-files", environment.ToLowerInvariant());
            Directory.CreateDirectory(folder);
            foreach (var resource in model.Resources)
            {
                var lines = resource.Environment.Select(v => $"{v.Key}={Render(v.Value)}\n");
                await File.WriteAllTextAsync(Path.Combine(folder, $"{resource.Name}.env"), string.Concat(lines), cancellationToken);
            }
        }
    }

    /// <summary>Literals as they are, endpoints as service name and target port, parameters as <c>&lt;NAME&gt;</c>.</summary>
    public static string Render(PublishedValue value)
        => value.Render(literal => literal, parameter => $"<{PublishedNames.EnvironmentVariable(parameter.Name)}>");
}

/// <summary>The env-file output of a publish.</summary>
/// <param name="name">The resource name.</param>
/// <param name="topology">Adds the application's resources to a builder.</param>
/// <param name="appHostDirectory">The AppHost folder.</param>
/// <param name="environments">The environments written.</param>
internal sealed class EnvFileTarget(string name, Action<IDistributedApplicationBuilder> topology, string appHostDirectory, IReadOnlyList<string> environments)
    : Resource(name), IPublishTargetResource
{
    public Action<IDistributedApplicationBuilder> Topology { get; } = topology;
    public string AppHostDirectory { get; } = appHostDirectory;
    public IReadOnlyList<string> Environments { get; } = environments;
}
