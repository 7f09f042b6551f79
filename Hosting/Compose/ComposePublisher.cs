using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Pipelines;
using Ichrisbirch.Hosting.Publishing;
using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.Hosting.Compose;

/// <summary>
/// The publish step: takes the model of the base environment and of each override's environment from the publish's
/// models, translates each with the one translator, and writes the base file, each override as its difference from
/// the base, and the bundle.
/// </summary>
internal static class ComposePublisher
{
    /// <summary>Writes the bundle into the pipeline's output folder (<c>--output-path</c> / <c>aspire publish -o</c>).</summary>
    public static async Task PublishAsync(ComposeBundleResource environment, PublishedModels models, PipelineStepContext context)
    {
        var output = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
        var task = await context.ReportingStep.CreateTaskAsync($"Writing the Docker Compose bundle to {output}", context.CancellationToken).ConfigureAwait(false);
        var count = await WriteBundleAsync(environment, models, output, context.CancellationToken).ConfigureAwait(false);
        await task.CompleteAsync($"Wrote docker-compose.yml (+ {environment.Overrides.Count} overrides) for {count} services to {output}",
            CompletionState.Completed, context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>Builds the models of <paramref name="environment"/>'s topology, translates and writes; returns the number of services in the base file.</summary>
    public static Task<int> WriteBundleAsync(ComposeBundleResource environment, string output, CancellationToken cancellationToken)
        => WriteBundleAsync(environment, new PublishedModels(environment.Topology, environment.AppHostDirectory), output, cancellationToken);

    /// <summary>Translates the models and writes; returns the number of services in the base file.</summary>
    public static async Task<int> WriteBundleAsync(ComposeBundleResource environment, PublishedModels models, string output, CancellationToken cancellationToken)
    {
        var baseTranslation = await TranslateAsync(environment, models, environment.BaseEnvironment, cancellationToken).ConfigureAwait(false);
        var files = new List<(string Name, string Content)> { ("docker-compose.yml", "") };
        var parameters = new SortedDictionary<string, ParameterResource>(baseTranslation.Parameters, StringComparer.Ordinal);
        var contexts = new SortedDictionary<string, string>(baseTranslation.BuildContexts, StringComparer.Ordinal);
        var overrides = new List<(ComposeOverride, ComposeFile)>();
        foreach (var entry in environment.Overrides)
        {
            var translation = await TranslateAsync(environment, models, entry.EnvironmentName, cancellationToken).ConfigureAwait(false);
            var difference = OverrideDifference.Compute(baseTranslation.File, translation.File, environment.BaseEnvironment, entry.EnvironmentName);
            files.Add((entry.FileName, ComposeTemplates.OverrideHeader(environment, entry, translation.File) + difference.ToYaml()));
            overrides.Add((entry, translation.File));
            foreach (var (name, parameter) in translation.Parameters) parameters.TryAdd(name, parameter);
            foreach (var (folder, path) in translation.BuildContexts) contexts.TryAdd(folder, path);
        }
        files[0] = ("docker-compose.yml", ComposeTemplates.BaseHeader(environment, overrides) + baseTranslation.File.ToYaml());

        Directory.CreateDirectory(output);
        foreach (var (name, content) in files) BundleWriter.Write(output, name, content);
        BundleWriter.Write(output, ".env.example", BundleWriter.EnvExample(parameters.Values, baseTranslation.Routes.Count > 0));
        if (baseTranslation.Routes.Count > 0)
        {
            BundleWriter.Write(output, ComposeIngress.HttpConfigPath, NginxConfig.Render(baseTranslation.Routes, environment.Ingress, https: false));
            BundleWriter.Write(output, ComposeIngress.HttpsConfigPath, NginxConfig.Render(baseTranslation.Routes, environment.Ingress, https: true));
            BundleWriter.Write(output, ComposeIngress.StartScriptPath, NginxStartScript.Render(baseTranslation.Routes.Select(r => r.Service).Distinct()));
            BundleWriter.Write(output, ComposeIngress.NoCertificatePath, "");
        }
        foreach (var (folder, source) in contexts)
        {
            BundleWriter.CopyBuildContext(source, Path.Combine(output, folder));
        }
        return baseTranslation.File.Services.Count;
    }

    private static async Task<Translation> TranslateAsync(ComposeBundleResource environment, PublishedModels models, string environmentName, CancellationToken cancellationToken)
        => ComposeTranslator.Translate(await models.GetAsync(environmentName, cancellationToken).ConfigureAwait(false), environment.Name);
}
