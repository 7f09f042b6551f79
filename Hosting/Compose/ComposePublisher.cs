using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.Hosting.Compose;

/// <summary>
/// The publish step: builds the model of the base environment and of each override's environment, translates each
/// with the one translator, and writes the base file, each override as its difference from the base, and the bundle.
/// </summary>
internal static class ComposePublisher
{
    /// <summary>Writes the bundle into the pipeline's output folder (<c>--output-path</c> / <c>aspire publish -o</c>).</summary>
    public static async Task PublishAsync(ComposeBundleResource environment, PipelineStepContext context)
    {
        var output = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
        var task = await context.ReportingStep.CreateTaskAsync($"Writing the Docker Compose bundle to {output}", context.CancellationToken).ConfigureAwait(false);
        var count = await WriteBundleAsync(environment, output, context.CancellationToken).ConfigureAwait(false);
        await task.CompleteAsync($"Wrote docker-compose.yml (+ {environment.Overrides.Count} overrides) for {count} services to {output}",
            CompletionState.Completed, context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>Builds, translates and writes; returns the number of services in the base file.</summary>
    public static async Task<int> WriteBundleAsync(ComposeBundleResource environment, string output, CancellationToken cancellationToken)
    {
        var baseTranslation = await TranslateAsync(environment, environment.BaseEnvironment, cancellationToken).ConfigureAwait(false);
        var files = new List<(string Name, string Content)>
        {
            ("docker-compose.yml", ComposeTemplates.BaseHeader(environment) + baseTranslation.File.ToYaml()),
        };
        var parameters = new SortedDictionary<string, ParameterResource>(baseTranslation.Parameters, StringComparer.Ordinal);
        var contexts = new SortedDictionary<string, string>(baseTranslation.BuildContexts, StringComparer.Ordinal);
        foreach (var (environmentName, fileName) in environment.Overrides)
        {
            var translation = await TranslateAsync(environment, environmentName, cancellationToken).ConfigureAwait(false);
            var difference = OverrideDifference.Compute(baseTranslation.File, translation.File, environment.BaseEnvironment, environmentName);
            files.Add((fileName, ComposeTemplates.OverrideHeader(environmentName, fileName) + difference.ToYaml()));
            foreach (var (name, parameter) in translation.Parameters) parameters.TryAdd(name, parameter);
            foreach (var (folder, path) in translation.BuildContexts) contexts.TryAdd(folder, path);
        }

        Directory.CreateDirectory(output);
        foreach (var (name, content) in files) BundleWriter.Write(output, name, content);
        BundleWriter.Write(output, ".env.example", BundleWriter.EnvExample(parameters.Values, baseTranslation.Routes.Count > 0));
        if (baseTranslation.Routes.Count > 0)
        {
            BundleWriter.Write(output, ComposeIngress.HttpConfigPath, NginxConfig.Render(baseTranslation.Routes, https: false));
            BundleWriter.Write(output, ComposeIngress.HttpsConfigPath, NginxConfig.Render(baseTranslation.Routes, https: true));
            BundleWriter.Write(output, ComposeIngress.NoCertificatePath, "");
        }
        foreach (var (folder, source) in contexts)
        {
            BundleWriter.CopyBuildContext(source, Path.Combine(output, folder));
        }
        return baseTranslation.File.Services.Count;
    }

    private static Task<Translation> TranslateAsync(ComposeBundleResource environment, string environmentName, CancellationToken cancellationToken)
        => ComposeTranslator.TranslateAsync(PublishedModels.Build(environment, environmentName), environment.Name, cancellationToken);
}
