using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace Ichrisbirch.AppHost;

/// <summary>The environment's settings, and the checks that stop a wrong setup before any process starts.</summary>
internal static partial class Extensions
{
    /// <summary>How this repository prepares a machine: named in every error about a missing prerequisite.</summary>
    private const string SetupScriptHint = "run scripts/bootstrap.sh";

    /// <summary>
    /// Reads the environment's settings (appsettings.{Environment}.json) once and validates them, hands the AppHost-wide
    /// values to ServiceDefaults and the Python hosting, and (run mode) checks secrets and ports before any process starts.
    /// </summary>
    public static IchrisbirchSettings AddIchrisbirchSettings(this IDistributedApplicationBuilder builder)
    {
        var environment = builder.Environment.EnvironmentName;
        if (!ServiceDefaultsExtensions.ServiceEnvironments.ContainsKey(environment))
        {
            throw new SetupException(
                $"Unknown environment '{environment}'. Use Development, Testing or Production " +
                "(--environment NAME, DOTNET_ENVIRONMENT or the launch profile).");
        }
        // Publish models read only the checked-in appsettings*.json, so the published files are the same on every machine.
        if (builder.ExecutionContext.IsRunMode) builder.Configuration.AddEnvFile(builder.AppHostDirectory, environment);
        var settings = IchrisbirchSettings.Read(builder.Configuration, environment);
        builder.ConfigureServiceDefaults(defaults => defaults.LogLevel = settings.LogLevel.ToString().ToLowerInvariant());
        builder.ConfigurePythonHosting(python =>
        {
            python.SetupHint = SetupScriptHint;
            python.BaseInterpreter = settings.PythonInterpreter; // Debian's, with the python3-* packages
            python.SystemSitePackages = true;
            python.InstallArgs.Add("--no-deps"); // requirements.txt is the complete closure, see its header
        });
        if (builder.ExecutionContext.IsRunMode)
        {
            builder.Eventing.Subscribe<BeforeStartEvent>(async (e, ct) =>
            {
                await EnsureSecretsAsync(e.Model, settings, ct).ConfigureAwait(false);
                EnsurePortsFree(builder.Configuration, settings);
            });
        }
        return settings;
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
