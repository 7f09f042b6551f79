using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace Ichrisbirch.AppHost;

/// <summary>The checks that stop a wrong setup before any process starts.</summary>
internal static class SetupChecks
{
    /// <summary>How this repository prepares a machine: named in every error about a missing prerequisite.</summary>
    public const string SetupScriptHint = "run scripts/bootstrap.sh";

    /// <summary>Run mode: before any process starts, every secret has a value and every fixed host port is free.</summary>
    public static void AddSetupChecks(this IDistributedApplicationBuilder builder, IchrisbirchSettings settings)
    {
        if (!builder.ExecutionContext.IsRunMode) return;
        builder.Eventing.Subscribe<BeforeStartEvent>(async (e, ct) =>
        {
            await EnsureSecretsAsync(e.Model, settings, ct).ConfigureAwait(false);
            EnsurePortsFree(builder.Configuration, settings);
        });
    }

    /// <summary>Before any process starts: every secret parameter has a value (Production: a non-empty one).</summary>
    private static async Task EnsureSecretsAsync(DistributedApplicationModel model, IchrisbirchSettings settings, CancellationToken ct)
    {
        var missing = new List<string>();
        foreach (var parameter in model.Resources.OfType<ParameterResource>().Where(p => p.Secret))
        {
            string? value;
            try
            {
                value = await parameter.GetValueAsync(ct).ConfigureAwait(false);
            }
            catch (MissingParameterValueException)
            {
                value = null;
            }
            if (value is null || (settings.RequireSecrets && value.Length == 0)) missing.Add(parameter.Name);
        }
        if (missing.Count == 0) return;

        var envKeys = EnvFiles.Keys.Where(k => missing.Any(m => k.Value == $"Parameters:{m}")).Select(k => k.Key);
        throw new SetupException(
            $"{settings.EnvironmentName} needs a value for the secret parameter(s) {string.Join(", ", missing)}. Supply each NAME with " +
            "'dotnet user-secrets set Parameters:NAME VALUE --project AppHost', the environment variable Parameters__NAME, " +
            $"--Parameters:NAME=VALUE, or {string.Join("/", envKeys)} in {EnvFiles.FileNames[settings.EnvironmentName]}.");
    }

    /// <summary>Fixed host ports must be free (unless the test builder randomizes them).</summary>
    private static void EnsurePortsFree(IConfiguration configuration, IchrisbirchSettings settings)
    {
        if (configuration.GetValue<bool>("DcpPublisher:RandomizePorts")) return;
        var busy = new List<string>();
        foreach (var (resource, key, port) in settings.FixedPorts())
        {
            try
            {
                using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                probe.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
            }
            catch (System.Net.Sockets.SocketException)
            {
                busy.Add($"{resource}: port {port} is already in use (setting {IchrisbirchSettings.SectionName}:{key})");
            }
        }
        if (busy.Count > 0)
        {
            throw new SetupException(
                $"{string.Join("; ", busy)}. Stop what listens there, or choose another port with --{IchrisbirchSettings.SectionName}:KEY=PORT " +
                $"or in appsettings.{settings.EnvironmentName}.json.");
        }
    }
}
