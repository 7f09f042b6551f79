using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.AppHost;

/// <summary>The services' least-privilege database role, made and kept by one script in every mode and target.</summary>
internal static class ApplicationRole
{
    /// <summary>The idempotent script that creates or updates the role and hands it the database (AppHost/Postgres/app-role.sql).</summary>
    private static readonly string[] ApplicationRoleScript = ["Postgres", "app-role.sql"];

    /// <summary>Where containers find the script: the image's initdb folder (it runs there on an empty volume) in the server and in the step.</summary>
    private const string ApplicationRoleScriptTarget = "/docker-entrypoint-initdb.d/app-role.sql";

    /// <summary>
    /// The role the services connect as (their POSTGRES_USERNAME/PASSWORD, see the server's contract): it owns the
    /// application database, its schemas and tables, and is no superuser. A one-shot step named <paramref name="name"/>
    /// runs the script on every start as the superuser, after the server is healthy: it creates the role or sets its
    /// password and transfers ownership, so a database made before the role existed is upgraded. Containers also run
    /// the script from the image's initdb folder on an empty volume. Services wait for the step to complete.
    /// </summary>
    public static IResourceBuilder<IResource> AddApplicationRole(this IResourceBuilder<IResourceWithConnectionString> postgres, string name,
        string role, IResourceBuilder<ParameterResource> password, IchrisbirchSettings settings)
    {
        var builder = postgres.ApplicationBuilder;
        var script = Path.Combine([builder.AppHostDirectory, .. ApplicationRoleScript]);
        postgres.WithAnnotation(new ApplicationRoleAnnotation(role, password.Resource));
        var endpoint = ((IResourceWithEndpoints)postgres.Resource).GetEndpoint("tcp");
        if (postgres.Resource is LocalPostgresResource local)
        {
            // Run by the AppHost on the server's ready event (after the database exists), not by DCP, which reports a
            // one-shot's exit about 0.5 s late: every service's start waited for that (BENCHMARKS.md, issue #20).
            var psql = local.BinDirectory is { } bin ? Path.Combine(bin, "psql") : "psql";
            return builder.AddOneShotCommand(name, psql, builder.AppHostDirectory, postgres, [.. PsqlArguments(script)])
                .WithEnvironment("PGHOST", endpoint.Property(EndpointProperty.Host))
                .WithEnvironment("PGPORT", endpoint.Property(Infrastructure.LocalServerPort))
                .WithRoleStep(local.PasswordParameter, role, password, settings.Database);
        }

        var server = builder.CreateResourceBuilder((PostgresServerResource)postgres.Resource)
            .WithEnvironment("POSTGRES_APP_USER", role)
            .WithEnvironment("POSTGRES_APP_PASSWORD", password)
            .WithDeploymentFile(script, ApplicationRoleScriptTarget);
        var image = server.Resource.Annotations.OfType<ContainerImageAnnotation>().Last();
        return builder.AddContainer(name, image.Image, image.Tag ?? "latest").WithImageRegistry(image.Registry)
            .WithEntrypoint("psql").WithArgs([.. PsqlArguments(ApplicationRoleScriptTarget)])
            .WithDeploymentFile(script, ApplicationRoleScriptTarget)
            .WithResourceLimits(cpus: 0.25, memoryMiB: 64)
            .WithEnvironment("PGHOST", endpoint.Property(EndpointProperty.Host))
            .WithEnvironment("PGPORT", endpoint.Property(EndpointProperty.Port))
            .WithRoleStep(server.Resource.PasswordParameter, role, password, settings.Database)
            .WithParentRelationship(postgres).WaitFor(postgres);
    }

    /// <summary>The step's connection (the superuser's, to the application database) and the role it makes; the step runs once per start after the server is healthy.</summary>
    private static IResourceBuilder<T> WithRoleStep<T>(this IResourceBuilder<T> step, ParameterResource superuserPassword, string role, IResourceBuilder<ParameterResource> password, string database)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport
        => step.WithEnvironment("PGUSER", "postgres")
            .WithEnvironment("PGPASSWORD", superuserPassword)
            .WithEnvironment("PGDATABASE", database)
            .WithEnvironment("PGCONNECT_TIMEOUT", "10")
            .WithEnvironment("POSTGRES_APP_USER", role)
            .WithEnvironment("POSTGRES_APP_PASSWORD", password)
            .WithRestartPolicy(RestartPolicy.No).WithRunToCompletion(TimeSpan.FromMinutes(5));

    private static IEnumerable<string> PsqlArguments(string script) => ["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--file", script];
}

/// <summary>The role a PostgreSQL server's referencing services connect as (its contract's POSTGRES_USERNAME/PASSWORD).</summary>
/// <param name="Role">The role name.</param>
/// <param name="Password">Its password parameter.</param>
internal sealed record ApplicationRoleAnnotation(string Role, ParameterResource Password) : IResourceAnnotation;
