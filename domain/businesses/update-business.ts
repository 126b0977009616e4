// Changes a business's name, contact address or dispatcher. A new dispatcher replaces the old
// one whole, and its settings are checked by its plugin as at creation.
import type { Prisma } from '../../prisma/generated/client.js';
import type { PrismaClient } from '../../infra/database.js';
import { InvalidInputError } from '../errors.js';
import {
  BUSINESS_VIEW_FIELDS,
  businessView,
  contactEmailProblems,
  dispatcherProblems,
  foundBusiness,
  nameProblems,
  storedSettings,
  type BusinessView,
  type DispatcherInput,
  type SettingsValidator,
} from './business.js';

export type BusinessPatch = { name?: string | undefined; contactEmail?: string | undefined; dispatcher?: DispatcherInput | undefined };

export async function updateBusiness(prisma: PrismaClient, id: string, patch: BusinessPatch, validate: SettingsValidator): Promise<BusinessView> {
  await foundBusiness(prisma, id);
  const errors = [
    ...(patch.name !== undefined ? nameProblems(patch.name) : []),
    ...(patch.contactEmail !== undefined ? contactEmailProblems(patch.contactEmail) : []),
    ...(patch.dispatcher !== undefined ? dispatcherProblems(patch.dispatcher, validate) : []),
  ];
  if (errors.length > 0) throw new InvalidInputError(errors);
  const row = await prisma.business.update({
    where: { id },
    data: {
      ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
      ...(patch.contactEmail !== undefined ? { contactEmail: patch.contactEmail } : {}),
      ...(patch.dispatcher !== undefined
        ? { dispatcher: patch.dispatcher.plugin, dispatcherSettings: storedSettings(patch.dispatcher) as Prisma.InputJsonValue }
        : {}),
    },
    select: BUSINESS_VIEW_FIELDS,
  });
  return businessView(row);
}
