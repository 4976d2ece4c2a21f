using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Widgetify.Api.Apis;
using Widgetify.Api.Auth;
using Widgetify.Api.Consistency;
using Widgetify.Api.Dashboard;
using Widgetify.Api.Data;
using Widgetify.Api.Draining;
using Widgetify.Api.Embed;
using Widgetify.Api.Embed.Caching;
using Widgetify.Api.Embed.Clicks;
using Widgetify.Api.Embed.Weather;
using Widgetify.Api.Errors;
using Widgetify.Api.Health;
using Widgetify.Api.Notifications;
using Widgetify.Api.Polls;
using Widgetify.Api.RateLimiting;
using Widgetify.Api.Review;
using Widgetify.Api.Scaling;
using Widgetify.Api.Stats;
using Widgetify.Api.TenantShares;
using Widgetify.Core.Traffic;
using Widgetify.Incidents;
using Widgetify.Incidents.Impact;
using Widgetify.Observability;
using Widgetify.Overload.AdmissionControl;
using Widgetify.Overload.PoolGovernance;
using Widgetify.Overload.Routing;
using Widgetify.PoolReview;
using Widgetify.PoolReview.Applied;
using Widgetify.PoolReview.History;
using Widgetify.PoolReview.Rules;
using Widgetify.Scaling;
using Widgetify.Scaling.Controller;
using Widgetify.Scaling.Decisions;
using Widgetify.Scaling.Signals;

namespace Widgetify.Api;

/// <summary>Composes the Widgetify service; used by Program.cs, by <c>widgetify up</c> and by the tests, so
/// all three run the same service.</summary>
public static class WidgetifyApplication
{
    /// <summary>Binds and validates <see cref="WidgetifyOptions"/> from <paramref name="configuration"/>: the one binding the
    /// service and the pool review (<c>./widgetify review</c>) share, so the review judges exactly what the service would
    /// run with.</summary>
    internal static OptionsBuilder<WidgetifyOptions> AddWidgetifyOptions(IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WidgetifyOptions>, WidgetifyOptionsValidator>());
        return services.AddOptions<WidgetifyOptions>().Bind(configuration.GetSection(WidgetifyOptions.SectionName));
    }

    /// <summary>Registers Widgetify's services and settings.</summary>
    public static WebApplicationBuilder AddWidgetify(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        AddWidgetifyOptions(services, builder.Configuration).ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<PoolGovernanceMetrics>();
        services.AddSingleton<RoutingMetrics>();
        services.AddSingleton(sp => WidgetifyDataSources.CreateGovernor(
            sp.GetRequiredService<IOptions<WidgetifyOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<PoolGovernanceMetrics>()));
        services.AddHttpContextAccessor(); // how the data sources find the request's deadline
        services.AddSingleton<WidgetifyDataSources>();
        services.AddSingleton<MigrationRunner>(sp => new(
            sp.GetRequiredService<WidgetifyDataSources>().Control, sp.GetRequiredService<ILogger<MigrationRunner>>()));
        services.AddSingleton<ConnectionShareWiring>();
        // Consistency tokens are signed with the deployment's secret (migration 0007, read once the migrations have run):
        // a made-up or altered one is refused before any database work.
        services.AddSingleton<ConsistencyTokenSigner>();
        // A signed token past anything the primary has written (one from before a restore to an earlier point) is refused
        // too, so it cannot make every read wait for a standby and read past the embed cache. One read of the position per
        // 10 ms at most, however many come, each bounded by 250 ms (a healthy primary answers in a millisecond; a read that
        // waits longer is holding a request's deadline, and the token is then taken as it is). On this instance's own
        // control connection, not the request pool, which the request judging its token may be waiting for.
        services.AddSingleton(sp => new PrimaryWalWatermark(
            cancellationToken => PrimaryWalPosition.ReadAsync(sp.GetRequiredService<WidgetifyDataSources>().Control, cancellationToken),
            TimeSpan.FromMilliseconds(250),
            TimeSpan.FromMilliseconds(10),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PrimaryWalWatermark>>()));
        // The host stops hosted services in the reverse of this order, after the server has drained (ShutdownDrain, then
        // Kestrel): the writers flush while the connection share still holds (view counts, then the monitoring loop's
        // incident outbox and pool history, which see that flush), and the lease goes back to the fleet last.
        services.AddHostedService<PoolGovernorService>();
        services.AddHostedService<ReadRoutingService>();
        services.AddAdmissionControl(sp => sp.GetRequiredService<IOptions<WidgetifyOptions>>().Value.Admission);
        // Tenants' shares of the admission limit: who a request is for, from memory only. The embed cache knows the tenant
        // of every widget it holds, so a hot widget's embeds count against its tenant; every uncached widget shares one partition.
        services.AddSingleton<IWidgetTenantLookup>(sp => sp.GetRequiredService<EmbedCache>());
        services.AddAdmissionPartitioner<TenantPartitioner>();
        services.AddWriteRetryAdvice<WriteRetryAdvice>();
        services.AddSingleton<WidgetIdGenerator>();
        services.AddSingleton<WidgetStore>();
        services.AddSingleton<TenantStore>();
        services.AddSingleton<TenantLimitsStore>();
        services.AddSingleton<TenantLimitsCache>();
        services.AddHostedService(sp => sp.GetRequiredService<TenantLimitsCache>());
        services.AddSingleton<WriteRateLimiter>();
        services.AddSingleton<RateLimitMetrics>();
        services.AddSingleton<TenantQuotas>();
        services.AddSingleton<DemoData>();
        services.AddSingleton<WidgetInputReader>();
        services.AddSingleton<ViewCounter>();
        services.AddSingleton<WidgetActivityStore>();
        services.AddHostedService<ActivityRetention>();
        services.AddSingleton<BannerClicks>();
        services.AddSingleton<ClickCeiling>();
        services.AddWeather(builder.Configuration);
        services.AddPolls(); // its vote writer drains at stop before the governor's lease goes back
        services.AddHostedService<IdempotencyKeyCleaner>();
        // API keys: what this instance remembers of them, the listener that evicts a changed key at once, and last use.
        services.AddSingleton<AuthMetrics>();
        services.AddSingleton<ApiKeyCache>();
        services.AddSingleton<ApiKeyUsage>();
        services.AddSingleton<INotificationSubscriber, ApiKeyChangeSubscriber>();
        // The rendered-widget cache (issue 15), which hears widget changes on the same listening connection as the keys.
        services.AddEmbedCache();
        services.AddSingleton<NotificationListener>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationListener>());
        services.AddHostedService<ApiKeyUsageFlusher>();
        services.AddObservability(
            builder.Configuration,
            [AdmissionMetrics.MeterName, AuthMetrics.MeterName, RateLimitMetrics.MeterName, PoolGovernanceMetrics.MeterName, RoutingMetrics.MeterName, ScalingMetrics.MeterName, PoolReviewMetrics.MeterName, EmbedCacheMetrics.MeterName],
            sp => sp.GetRequiredService<IOptions<WidgetifyOptions>>().Value.Monitoring,
            sp => new MonitoredService
            {
                ControlConnection = sp.GetRequiredService<WidgetifyDataSources>().Control,
                RequestPoolName = WidgetifyDataSources.PrimaryPoolName,
                ApplicationName = sp.GetRequiredService<IOptions<WidgetifyOptions>>().Value.Database.ApplicationName,
            });
        // After the monitoring loop, so that it stops before it: the last view counts are written before the incident
        // outbox and the pool history make their last flush.
        services.AddHostedService<ViewCountFlusher>();
        services.AddIncidents(
            sp => sp.GetRequiredService<IOptions<WidgetifyOptions>>().Value.Incidents,
            sp => sp.GetRequiredService<WidgetifyDataSources>().Control);
        // The per-minute history of the pools (issue 12's review reads it): the primary's from the loop, standbys' from the router.
        services.AddSingleton<IServerPoolSource>(sp => new StandbyPools(sp.GetRequiredService<WidgetifyDataSources>().Router));
        services.AddPoolHistory(builder.Configuration);
        // The review of its own settings at start and every Review:Interval (GET /api/review), and the settings
        // './widgetify review --apply' applied, read from PostgreSQL and the data folder's file; they win over every other
        // source, so their configuration source goes last (and is preloaded from the file, so the pool starts at its size).
        var reviewed = new ReviewedSettingsSource();
        if (builder.Configuration[$"{PoolReviewOptions.SectionName}:{nameof(PoolReviewOptions.SettingsFile)}"] is { Length: > 0 } settingsFile)
        {
            try
            {
                reviewed.Provider.Set(ReviewedSettingsFile.Read(settingsFile, out _));
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                // The watcher logs it once the logging is up, and keeps retrying.
            }
        }

        ((IConfigurationBuilder)builder.Configuration).Add(reviewed);
        services.AddSingleton(reviewed);
        services.AddSingleton<PoolReviewMetrics>();
        services.AddSingleton<LatestPoolReview>();
        services.AddSingleton<PoolReviewLoop>();
        services.AddHostedService(sp => sp.GetRequiredService<PoolReviewLoop>());
        services.AddHostedService<AppliedSettingsWatcher>();

        // The autoscaler reads the monitoring loop's seconds and the router's standbys, and its decisions go to the
        // incident timeline and, for a provider that reports endpoints, to the router. Off unless MaxReplicas > MinReplicas.
        services.AddSingleton(sp => new ReadReplicas(sp.GetRequiredService<WidgetifyDataSources>()));
        services.AddSingleton<IReplicaStateSource>(sp => sp.GetRequiredService<ReadReplicas>());
        services.AddSingleton(sp => new ReadPathSignalFeed(
            sp.GetRequiredService<WidgetifyDataSources>().Router, sp.GetRequiredService<MonitoringOptions>().Alerts));
        services.AddSingleton<IReadPathSignalSource>(sp => sp.GetRequiredService<ReadPathSignalFeed>());
        services.AddSingleton<IMonitoringObserver>(sp => sp.GetRequiredService<ReadPathSignalFeed>());
        services.AddSingleton<IScalingObserver, ScalingTimeline>();
        services.AddSingleton<IScalingObserver, ReportedEndpoints>();
        services.AddSingleton<IValidateOptions<ScalingOptions>, ScalingNeedsMonitoring>();
        services.AddScaling(builder.Configuration, sp => new ScalingInstance
        {
            ControlConnection = sp.GetRequiredService<WidgetifyDataSources>().Control,
            InstanceName = sp.GetRequiredService<MonitoringIdentity>().InstanceName,
        });

        // Before AddProblemDetails: the service asks its writers in order, and the JSON one would take a browser's 503 too.
        services.AddSingleton<IProblemDetailsWriter, BusyPageProblemWriter>();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = StatusCodeProblems.Explain);
        // A route or query value that does not bind (?limit=x) reaches the exception handler, which names the field
        // (BindingFailures), instead of the framework's bare 400.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<ExceptionProblemHandler>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(AuthorizationPolicies.Tenant, p => p.RequireRole(ApiKeyRole.Tenant.ToDatabase()))
            .AddPolicy(AuthorizationPolicies.Operator, p => p.RequireRole(ApiKeyRole.Operator.ToDatabase()));
        services.AddShutdownDrain();
        services.AddHealthChecks()
            .AddCheck<DrainingCheck>("drain", tags: [HealthApi.ReadyTag, HealthApi.ServingTag])
            .AddCheck<DatabaseReadyCheck>("database", tags: [HealthApi.ReadyTag])
            .AddCheck<EmbedCacheWarmUpCheck>("embedCache", tags: [HealthApi.ReadyTag, HealthApi.ServingTag])
            .AddTypeActivatedCheck<ConnectionBudgetCheck>("connections", null, [HealthApi.ReadyTag], ConnectionShareScope.Fleet)
            .AddTypeActivatedCheck<ConnectionBudgetCheck>("connectionShare", null, [HealthApi.ServingTag], ConnectionShareScope.Instance)
            .AddCheck<DatabaseWritesCheck>("writes", tags: [HealthApi.ReadyTag, HealthApi.ServingTag]);
        services.AddOpenApi(o => o.AddJsonBodyDocumentation().AddConsistencyDocumentation().AddWidgetConfigDocumentation());

        services.AddOptions<KestrelServerOptions>().Configure<IOptions<WidgetifyOptions>>((kestrel, widgetify) =>
        {
            kestrel.AddServerHeader = false;
            // WidgetInputReader enforces the exact limit with a helpful 413; Kestrel's limit is a backstop for
            // anything else, with headroom because it also counts chunked-encoding framing.
            kestrel.Limits.MaxRequestBodySize = widgetify.Value.Api.MaxRequestBodyBytes * 2;
        });

        // The whole stop gets this long: the drain (Api:DrainDelay, at most 20 s, then up to 1 s for accepted connections'
        // requests), in-flight requests' deadlines, the last flushes. Whatever is still running then is cut off.
        builder.Host.ConfigureHostOptions(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));
        return builder;
    }

    /// <summary>The paths the pre-routing shed may refuse, as the endpoints map them: the embed and its clicks and votes,
    /// and the tenant API. Each endpoint they match takes its admission priority from its HTTP method; a path no endpoint
    /// maps (a typo under <c>/w</c>) is not among them, so it gets its 404 rather than a 503.</summary>
    internal static readonly string[] ShedBeforeRoutingPaths =
    [
        "/w/{id}", "/w/{id}/click", "/w/{id}/vote",
        "/api/widgets", "/api/widgets/{id}", "/api/widgets/{id}/stats", "/api/widgets/{id}/embed",
    ];

    /// <summary>Adds the middleware and endpoints.</summary>
    public static WebApplication UseWidgetify(this WebApplication app)
    {
        // First of all: while the instance stops, every response (sheds and errors included) closes its connection.
        app.UseConnectionCloseWhileDraining();
        // Then, before anything else costs a storm's sheds anything (issue 15): a request that admission would certainly
        // refuse is refused here, before routing, authentication, body reading and logging, with a pre-built 503. After
        // the drain's Connection: close, which a shed needs too (a draining instance's clients must go elsewhere); before
        // the client-closed status (a shed never waits for the client, so it has no abandoned request to record) and the
        // impact tracking, which hears of each shed through OnShed instead of wrapping it. Only the paths whose endpoints
        // all take their priority from the method: health probes, /metrics, the dashboard and the operator API never
        // match, and the guard test (PreRoutingShedTests) fails if a marked or operators' endpoint is added under them.
        var impact = app.Services.GetRequiredService<ClientImpactTracker>();
        // An embed this instance holds skips admission (it does no database work), so a full queue never refuses it here
        // either; the CPU shed still may.
        app.UseShedBeforeRouting(new PreRoutingShedOptions
        {
            GovernedPaths = ShedBeforeRoutingPaths,
            OnShed = impact.RecordShed,
            ServedWithoutDatabase = app.Services.GetRequiredService<EmbedCache>().ServesFromMemory,
        });
        // Outermost, so a client that went away is recorded as 499 whatever the rest did: never a failure of ours.
        app.UseClientClosedStatus();
        // Next, so it sees every answer, sheds included: who was hurt during an incident.
        app.UseClientImpactTracking();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        // Operators' requests carry a metrics tag, so the signals leave them out by the same marker as admission.
        app.UseTrafficTagging();
        // After routing (the endpoint says its priority), before authentication (an API-key lookup is database work).
        app.UseAdmissionControl();
        // Operators' endpoints skip admission: they get the read budget as their deadline here, before the key lookup.
        app.UseMiddleware<Monitoring.OperatorDeadlineMiddleware>();
        app.UseAuthentication();
        // Right after authentication: a write over its key's rate is refused before its body is read or the database touched.
        app.UseMiddleware<WriteRateLimitMiddleware>();
        app.UseAuthorization();
        // Reads honour the client's Widgetify-Consistency token; writes answer with theirs.
        app.UseConsistencyTokens();

        app.MapOpenApi().ForOperators();
        app.MapHealthApi();
        app.MapWidgetsApi();
        app.MapEmbedApi();
        app.MapWidgetStatsApi();
        app.MapEmbedSnippetApi();
        app.MapBannerClickApi();
        app.MapVoteApi();
        app.MapDashboard();
        app.MapMonitoringApi();
        app.MapScalingApi();
        app.MapReviewApi();
        return app;
    }

    /// <summary>Prepares the database before serving: applies pending migrations and creates the autoscaler's tables
    /// (both safe when several instances start at once; as the schema's owner when
    /// <see cref="DatabaseOptions.MigrationConnectionString"/> is set, with the other features' tables too), then takes this instance's lease of the fleet-wide connection budget, which sizes the pool.</summary>
    /// <returns>The number of migrations applied.</returns>
    public static async Task<int> MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var migration = services.GetRequiredService<IOptions<WidgetifyOptions>>().Value.Database.MigrationConnectionString;
        int applied;
        if (migration.Length == 0)
        {
            // One role owns the schema and serves: the features create their tables themselves on first use.
            applied = await services.GetRequiredService<MigrationRunner>().MigrateAsync(cancellationToken);
            await services.GetRequiredService<ScalingDecisionLog>().EnsureTablesAsync(cancellationToken);
        }
        else
        {
            applied = await OwnedSchema.ApplyAsync(migration, services.GetRequiredService<ILogger<MigrationRunner>>(), cancellationToken);
        }

        await services.GetRequiredService<ConsistencyTokenSigner>().LoadAsync(services.GetRequiredService<WidgetifyDataSources>().Control, cancellationToken);
        await services.GetRequiredService<ConnectionShareWiring>().StartAsync(cancellationToken);
        return applied;
    }
}
