using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Configuration.Memory;

namespace Ichrisbirch.AppHost;

/// <summary>
/// The compose setup's <c>.dev.env</c> / <c>.test.env</c> / <c>.prod.env</c>: when present, their keys feed the
/// matching Aspire parameters and settings, below user secrets, environment variables and the command line.
/// </summary>
internal static class EnvFiles
{
    /// <summary>Env file per Aspire environment, as the compose setup named them.</summary>
    public static readonly IReadOnlyDictionary<string, string> FileNames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Development"] = ".dev.env",
        ["Testing"] = ".test.env",
        ["Production"] = ".prod.env",
    };

    /// <summary>Env-file key → configuration key.</summary>
    public static readonly IReadOnlyDictionary<string, string> Keys = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["POSTGRES_PASSWORD"] = "Parameters:postgres-password",
        ["POSTGRES_APP_PASSWORD"] = "Parameters:postgres-app-password",
        ["REDIS_PASSWORD"] = "Parameters:redis-password",
        ["FLASK_SECRET_KEY"] = "Parameters:flask-secret-key",
        ["API_SECRET_KEY"] = "Parameters:api-secret-key",
        ["APP_ADMIN_PASSWORD"] = "Parameters:app-admin-password",
        ["POSTGRES_DB"] = "Ichrisbirch:Database",
    };

    /// <summary>Adds the environment's env file (if any) just above the appsettings files.</summary>
    public static void AddEnvFile(this IConfigurationManager configuration, string appHostDirectory, string environment)
    {
        var folder = Path.GetFullPath(configuration["Ichrisbirch:EnvFilesDirectory"] ?? "..", appHostDirectory);
        var path = Path.Combine(folder, FileNames[environment]);
        if (!File.Exists(path)) return;

        var values = Parse(path)
            .Where(kv => Keys.ContainsKey(kv.Key))
            .ToDictionary(kv => Keys[kv.Key], kv => (string?)kv.Value);
        var sources = configuration.Sources;
        var lastJson = sources.Select((s, i) => (s, i)).LastOrDefault(x => x.s is JsonConfigurationSource).i;
        sources.Insert(lastJson + 1, new MemoryConfigurationSource { InitialData = values });
    }

    /// <summary>Parses KEY=VALUE lines (comments, blank lines, <c>export</c>, quotes); a bad line names file and line.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Parse(string path)
    {
        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith("export ", StringComparison.Ordinal)) line = line[7..].TrimStart();
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var key = eq > 0 ? line[..eq].Trim() : "";
            if (eq <= 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || char.IsAsciiDigit(key[0]))
            {
                throw new SetupException($"{path}:{number}: expected KEY=VALUE (KEY of letters, digits and _). Fix or remove the line.");
            }
            var value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\''))
            {
                if (value[^1] != value[0]) throw new SetupException($"{path}:{number}: unterminated quote in the value of {key}. Fix or remove the line.");
                value = value[1..^1];
            }
            else if (value.Length == 1 && (value[0] == '"' || value[0] == '\''))
            {
                throw new SetupException($"{path}:{number}: unterminated quote in the value of {key}. Fix or remove the line.");
            }
            yield return new(key, value);
        }
    }
}
