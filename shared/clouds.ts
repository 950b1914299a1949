// Every endpoint and token audience that differs between Azure clouds, in one table chosen by AZURE_CLOUD (read by
// shared/config.ts, so it sits at the config layer and imports nothing). Plain data with a source per value; a unit test
// holds the values the SDKs also ship (AzureAuthorityHosts, KnownMonitorAudience, KnownMonitorLogsQueryAudience)
// equal to theirs.

export const AZURE_CLOUDS = ['public', 'usgovernment', 'china'] as const;
export type AzureCloud = (typeof AZURE_CLOUDS)[number];

export interface CloudEndpoints {
  /** Microsoft Entra authority host (DefaultAzureCredential's authorityHost). */
  authorityHost: string;
  /** Azure Resource Manager (Sentinel's SecurityInsights API), without a trailing slash. */
  resourceManager: string;
  /** Token scope for Azure Resource Manager. */
  resourceManagerScope: string;
  /** `audience` option of LogsIngestionClient (the SDK appends /.default). */
  logsIngestionAudience: string;
  /** Log Analytics query API (KQL enrichment) without /v1; also its token audience. */
  logAnalytics: string;
  /** Microsoft Graph (security incidents) without /v1.0. */
  graph: string;
  /** Azure portal, for links to incidents. */
  portal: string;
}

// Sources:
// - authorityHost, portal: https://learn.microsoft.com/graph/deployments#app-registration-and-token-service-root-endpoints
//   (also @azure/identity AzureAuthorityHosts).
// - resourceManager: https://learn.microsoft.com/azure/azure-government/compare-azure-government-global-azure#guidance-for-developers,
//   https://learn.microsoft.com/azure/china/resources-developer-guide#check-endpoints-in-azure (Bicep's
//   environment().resourceManager gives the same per cloud).
// - logsIngestionAudience: @azure/monitor-ingestion KnownMonitorAudience and its README ("Configure client for Azure
//   sovereign cloud"), https://learn.microsoft.com/azure/azure-monitor/logs/logs-ingestion-api-overview.
// - logAnalytics: @azure/monitor-query-logs KnownMonitorLogsQueryAudience,
//   https://learn.microsoft.com/azure/azure-monitor/logs/api/access-api.
// - graph: https://learn.microsoft.com/graph/deployments#microsoft-graph-and-graph-explorer-service-root-endpoints
//   (US Government L4 / GCC High; DoD tenants use https://dod-graph.microsoft.us through GRAPH_ENDPOINT).
const CLOUDS: Readonly<Record<AzureCloud, CloudEndpoints>> = {
  public: {
    authorityHost: 'https://login.microsoftonline.com',
    resourceManager: 'https://management.azure.com',
    resourceManagerScope: 'https://management.azure.com/.default',
    logsIngestionAudience: 'https://monitor.azure.com',
    logAnalytics: 'https://api.loganalytics.io',
    graph: 'https://graph.microsoft.com',
    portal: 'https://portal.azure.com',
  },
  usgovernment: {
    authorityHost: 'https://login.microsoftonline.us',
    resourceManager: 'https://management.usgovcloudapi.net',
    resourceManagerScope: 'https://management.usgovcloudapi.net/.default',
    logsIngestionAudience: 'https://monitor.azure.us',
    logAnalytics: 'https://api.loganalytics.us',
    graph: 'https://graph.microsoft.us',
    portal: 'https://portal.azure.us',
  },
  china: {
    authorityHost: 'https://login.chinacloudapi.cn',
    resourceManager: 'https://management.chinacloudapi.cn',
    resourceManagerScope: 'https://management.chinacloudapi.cn/.default',
    logsIngestionAudience: 'https://monitor.azure.cn',
    logAnalytics: 'https://api.loganalytics.azure.cn',
    graph: 'https://microsoftgraph.chinacloudapi.cn',
    portal: 'https://portal.azure.cn',
  },
};

export function cloudEndpoints(cloud: AzureCloud): CloudEndpoints {
  return CLOUDS[cloud];
}
