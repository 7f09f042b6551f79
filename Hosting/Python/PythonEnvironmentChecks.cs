using System.ComponentModel;
using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

public static partial class PythonAppResourceBuilderExtensions
{
    /// <summary>
    /// Before DCP starts the process, once the environment helpers have finished: the interpreter (or tool) exists and
    /// runs, and the modules the entrypoint needs are importable; otherwise fails the resource with one line naming the fix.
    /// </summary>
    private static async Task EnsureRunnableAsync(PythonAppResource resource, IServiceProvider services, CancellationToken ct)
    {
        if (!await HelpersSucceededAsync(resource, services, ct).ConfigureAwait(false)) return;
        var options = PythonHostingOptions.From(services);
        var venv = VenvOf(resource);
        var entrypoint = resource.Annotations.OfType<PythonEntrypointAnnotation>().Last();
        if (!File.Exists(venv.Interpreter))
        {
            throw new PythonEnvironmentException(Directory.Exists(venv.VirtualEnvironmentPath)
                ? $"{resource.Name}: the virtual environment at {venv.VirtualEnvironmentPath} is broken ({venv.Interpreter} is missing). " +
                  options.Fix("Delete the folder so that it is created again")
                : $"{resource.Name}: no Python virtual environment at {venv.VirtualEnvironmentPath} ({venv.Interpreter} is missing). " +
                  options.Fix("Create it (python3 -m venv), let the AppHost create it (WithVirtualEnvironment(..., createIfNotExists: true)), or point WithVirtualEnvironment(...) at an existing one"));
        }
        if (entrypoint.Kind == PythonEntrypointKind.Executable && !File.Exists(venv.Executable(entrypoint.Value)))
        {
            throw new PythonEnvironmentException(
                $"{resource.Name}: no '{entrypoint.Value}' in {Path.GetDirectoryName(venv.Interpreter)}. " +
                options.Fix($"Add the package that provides it to {resource.AppDirectory}/requirements.txt (installed at start)"));
        }

        var modules = RequiredModules(resource).ToArray();
        int exitCode;
        string output;
        try
        {
            (exitCode, output) = await RunPythonAsync(venv.Interpreter, resource.AppDirectory,
                "import importlib.util as u, sys; print(' '.join(m for m in sys.argv[1:] if u.find_spec(m) is None))", modules, ct).ConfigureAwait(false);
        }
        catch (PythonEnvironmentException ex)
        {
            (exitCode, output) = (-1, ex.Message);
        }
        if (exitCode != 0)
        {
            throw new PythonEnvironmentException(
                $"{resource.Name}: the virtual environment at {venv.VirtualEnvironmentPath} is broken ({venv.Interpreter} does not run: {output.Split('\n')[0]}). " +
                options.Fix("Delete the folder so that it is created again"));
        }
        if (output.Length > 0)
        {
            throw new PythonEnvironmentException(
                $"{resource.Name}: Python module(s) {output} not importable in {venv.VirtualEnvironmentPath}. " +
                options.Fix($"Install them ({venv.Interpreter} -m pip install -r requirements.txt in {resource.AppDirectory})"));
        }
        services.GetRequiredService<ResourceLoggerService>().GetLogger(resource)
            .LogInformation("Python environment {Venv} has {Modules}", venv.VirtualEnvironmentPath, string.Join(", ", modules));
    }

    private static IEnumerable<string> RequiredModules(PythonAppResource resource)
    {
        var entrypoint = resource.Annotations.OfType<PythonEntrypointAnnotation>().Last();
        var server = resource.Annotations.OfType<PythonServerAnnotation>().Last();
        if (resource.Annotations.OfType<PythonDebugpyAnnotation>().Any()) yield return "debugpy";
        switch (entrypoint.Kind)
        {
            case PythonEntrypointKind.Module:
                yield return entrypoint.Value;
                yield break;
            case PythonEntrypointKind.Script or PythonEntrypointKind.Executable:
                yield break;
        }
        yield return entrypoint.Value.Split(':')[0];
        if (server.Gunicorn) yield return "gunicorn";
        yield return entrypoint.Kind == PythonEntrypointKind.Asgi ? "uvicorn" : "flask";
    }

    /// <summary>The creator's interpreter exists and can make virtual environments (venv and ensurepip importable).</summary>
    private static async Task EnsureCanCreateVenvAsync(PythonVenvCreatorResource creator, string baseInterpreter, PythonHostingOptions options, CancellationToken ct)
    {
        int exitCode;
        try
        {
            (exitCode, _) = await RunPythonAsync(baseInterpreter, creator.WorkingDirectory, "import venv, ensurepip", [], ct).ConfigureAwait(false);
        }
        catch (PythonEnvironmentException)
        {
            throw new PythonEnvironmentException(
                $"{creator.Name}: no Python interpreter '{baseInterpreter}' to create {creator.VirtualEnvironmentPath}. " +
                options.Fix("Install Python 3 (Debian: apt-get install python3 python3-venv) or configure the interpreter that creates it"));
        }
        if (exitCode != 0)
        {
            throw new PythonEnvironmentException(
                $"{creator.Name}: {baseInterpreter} cannot create virtual environments (venv/ensurepip missing). " +
                options.Fix("Install them (Debian: apt-get install python3-venv)"));
        }
    }

    /// <summary>Runs <c>python -c code args</c>; (exit code, trimmed stdout + stderr). Throws when the interpreter cannot start.</summary>
    private static async Task<(int ExitCode, string Output)> RunPythonAsync(string interpreter, string workingDirectory, string code, IEnumerable<string> args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(interpreter)
        {
            WorkingDirectory = Directory.Exists(workingDirectory) ? workingDirectory : Environment.CurrentDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(code);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception ex)
        {
            throw new PythonEnvironmentException($"{interpreter} cannot be started: {ex.Message}");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
            return (process.ExitCode, ((await stdout.ConfigureAwait(false)).Trim() + (await stderr.ConfigureAwait(false)).Trim()).Trim());
        }
    }
}

/// <summary>The virtual environment of a Python resource cannot run it; the message names the fix.</summary>
public sealed class PythonEnvironmentException(string message) : OneLineException(message);
