// The operator routes and the hourly timer see both sides: delivery (events) and incidents.
import type { DeliveryDeps } from '../delivery/deliver.js';
import type { IncidentDeps } from '../incidents/deps.js';

export interface OperationsDeps {
  delivery: DeliveryDeps;
  incidents: IncidentDeps;
}
