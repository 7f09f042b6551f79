using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Pipelines;
using Ichrisbirch.Hosting.Publishing;
using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.Hosting.Kubernetes;

/// <summary>
/// The publish step: takes the base environment's model and each overlay's from the publish's models, translates
/// each with the one translator, and writes <c>k8s/base</c> and <c>k8s/overlays/*</c> into the pipeline's output folder.
/// </summary>
internal static class KubernetesPublisher
{
    /// <summary>Writes the manifests into the pipeline's output folder.</summary>
    public static async Task PublishAsync(KustomizeBundleResource environment, PublishedModels models, PipelineStepContext context)
    {
        var output = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
        var task = await context.ReportingStep.CreateTaskAsync($"Writing the Kubernetes manifests to {output}", context.CancellationToken).ConfigureAwait(false);
        var count = await WriteAsync(environment, models, output, context.CancellationToken).ConfigureAwait(false);
        await task.CompleteAsync($"Wrote {environment.OutputFolder}/base ({count} objects) and {environment.Overlays.Count} overlays to {output}",
            CompletionState.Completed, context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>Builds the models of <paramref name="environment"/>'s topology, translates and writes; returns the number of objects in the base.</summary>
    public static Task<int> WriteAsync(KustomizeBundleResource environment, string output, CancellationToken cancellationToken)
        => WriteAsync(environment, new PublishedModels(environment.Topology, environment.AppHostDirectory), output, cancellationToken);

    /// <summary>Translates the models and writes; returns the number of objects in the base. A deployer's <c>secrets.env</c> survives re-publishing.</summary>
    public static async Task<int> WriteAsync(KustomizeBundleResource environment, PublishedModels models, string output, CancellationToken cancellationToken)
    {
        KubernetesIngressTls.Check(environment); // before any model is built or file written
        var root = Path.Combine(output, environment.OutputFolder);
        var baseline = await TranslateAsync(environment, models, environment.BaseEnvironment, isBase: true, cancellationToken).ConfigureAwait(false);
        var overlays = new List<(KubernetesOverlay Overlay, KubernetesTranslation Translation)>();
        foreach (var overlay in environment.Overlays)
        {
            overlays.Add((overlay, overlay.EnvironmentName == environment.BaseEnvironment ? baseline
                : await TranslateAsync(environment, models, overlay.EnvironmentName, isBase: false, cancellationToken).ConfigureAwait(false)));
        }

        if (Directory.Exists(root))
        {
            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != "secrets.env")) File.Delete(file);
        }
        KustomizeWriter.WriteBase(Path.Combine(root, "base"), baseline, environment.BaseEnvironment);
        foreach (var (overlay, translation) in overlays)
        {
            KustomizeWriter.WriteOverlay(Path.Combine(root, "overlays", overlay.Folder), translation, OverlayDifference.Compute(baseline, translation), overlay);
        }
        return baseline.Objects.Count;
    }

    private static async Task<KubernetesTranslation> TranslateAsync(KustomizeBundleResource bundle, PublishedModels models, string environmentName, bool isBase,
        CancellationToken cancellationToken)
        => KubernetesTranslator.Translate(await models.GetAsync(environmentName, cancellationToken).ConfigureAwait(false), bundle, isBase);
}
